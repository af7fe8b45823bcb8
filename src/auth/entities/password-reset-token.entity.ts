import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One password-reset link. Only a SHA-256 of its token is kept: a copy of the database opens no account. */
@Entity('password_reset_tokens')
export class PasswordResetToken {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64, unique: true })
  tokenHash: string;

  /** The user's session version when the link was made: a password changed since then retires the link. */
  @Column({ name: 'session_version', type: 'integer', default: 0 })
  sessionVersion: number;

  @Column({ name: 'expires_at' })
  expiresAt: Date;

  @Column({ name: 'used_at', nullable: true, type: Date })
  usedAt: Date | null;

  @Column({ name: 'created_at' })
  createdAt: Date;
}
