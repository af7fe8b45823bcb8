import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Role } from '../common/auth-user';

@Entity('users')
export class User {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Stored lower-cased so that uniqueness and login ignore case. */
  @Column({ type: 'varchar', length: 254, unique: true })
  email: string;

  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash: string;

  @Column({ name: 'display_name', type: 'varchar', length: 100 })
  displayName: string;

  @Column({ type: 'varchar', length: 16, default: 'user' })
  role: Role;

  @Column({ type: 'boolean', default: false })
  disabled: boolean;

  @Column({ type: 'simple-json' })
  settings: Record<string, unknown>;

  /** Bumped to invalidate every refresh token issued before (password change). */
  @Column({ name: 'session_version', type: 'integer', default: 0 })
  sessionVersion: number;

  // Set by the repository, not the database: SQLite's CURRENT_TIMESTAMP drops the milliseconds that cursors need.
  @Column({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'updated_at' })
  updatedAt: Date;
}
