import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** The standalone server's own users. Username and e-mail are stored normalised. */
@Entity('users')
export class User {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Index({ unique: true })
  @Column({ type: 'varchar', length: 254 })
  username: string;

  @Index({ unique: true })
  @Column({ type: 'varchar', length: 254 })
  email: string;

  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash: string;

  /** Milliseconds since the epoch; PostgreSQL and MariaDB return a BIGINT as a string. */
  @Column({
    name: 'created_at',
    type: 'bigint',
    transformer: { to: (ms: number) => ms, from: (value) => Number(value) },
  })
  createdAt: number;
}
