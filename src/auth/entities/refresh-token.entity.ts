import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One refresh token. Only a SHA-256 of the token is kept. Tokens of one login share a family: presenting a
 * token that was already rotated revokes the whole family.
 */
@Entity('refresh_tokens')
export class RefreshToken {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @Column({ name: 'family_id', type: 'varchar', length: 36 })
  familyId: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64, unique: true })
  tokenHash: string;

  /** The user's session version at login; a password change bumps the user's and so retires this token. */
  @Column({ name: 'session_version', type: 'integer' })
  sessionVersion: number;

  @Column({ name: 'expires_at' })
  expiresAt: Date;

  @Column({ name: 'rotated_at', nullable: true, type: Date })
  rotatedAt: Date | null;

  @Column({ name: 'revoked_at', nullable: true, type: Date })
  revokedAt: Date | null;

  @Column({ name: 'created_at' })
  createdAt: Date;
}
