import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One sign-in: the family its refresh tokens share (`refresh_tokens.family_id` is this id) and what its access
 * tokens carry as `sid`. Ended by `revokedAt`, or by a password change (the user's session version moves on).
 */
@Entity('sessions')
export class UserSession {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  /** The user's session version at sign-in: the session ends when the user's moves on (a password change). */
  @Column({ name: 'session_version', type: 'integer' })
  sessionVersion: number;

  /** The client address at sign-in or at the last refresh, as TRUST_PROXY lets the app see it. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 256, nullable: true })
  userAgent: string | null;

  @Column({ name: 'created_at' })
  createdAt: Date;

  /** Updated by refreshes and, to the minute, by requests made with its access tokens. */
  @Column({ name: 'last_used_at' })
  lastUsedAt: Date;

  /** When its newest refresh token expires: the session cannot be resumed after that. */
  @Column({ name: 'expires_at' })
  expiresAt: Date;

  @Column({ name: 'revoked_at', nullable: true, type: Date })
  revokedAt: Date | null;
}
