import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Role } from '../common/auth-user';

@Entity('users')
export class User {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Stored lower-cased so that uniqueness and login ignore case. */
  @Column({ type: 'varchar', length: 254, unique: true })
  email: string;

  /** Null for an account made by a sign-in with another provider, until its owner sets one (password reset). */
  @Column({ name: 'password_hash', type: 'varchar', length: 255, nullable: true })
  passwordHash: string | null;

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

  /** iv, tag and ciphertext (AES-256-GCM, DATA_ENCRYPTION_KEY), base64; set at setup, before it is confirmed. */
  @Column({ name: 'totp_secret_encrypted', type: 'varchar', length: 255, nullable: true, select: false })
  totpSecretEncrypted: string | null;

  /** When two-factor sign-in was confirmed; null while it is off. */
  @Column({ name: 'totp_enabled_at', type: Date, nullable: true })
  totpEnabledAt: Date | null;

  @Column({ name: 'totp_last_step', type: 'integer', nullable: true, select: false })
  totpLastStep: number | null;

  // Set by the repository, not the database: SQLite's CURRENT_TIMESTAMP drops the milliseconds that cursors need.
  @Column({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'updated_at' })
  updatedAt: Date;
}
