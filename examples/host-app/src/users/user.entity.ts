import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Username and e-mail address are stored normalised (normaliseIdentifier), the form the reset module looks them up in. */
@Entity('users')
export class User {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ unique: true })
  username: string;

  @Column({ unique: true })
  email: string;

  @Column({ name: 'password_hash' })
  passwordHash: string;
}
