import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One signed-in browser: `POST /login` makes it, a password reset ends all of a user's. */
@Entity('sessions')
export class Session {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;
}
