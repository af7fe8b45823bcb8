import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The second step of a sign-in with two-factor on: given after a good password, taken once with a good code.
 * Only a SHA-256 of the token is kept; `sessionVersion` ties it to the password that was checked.
 */
@Entity('mfa_tokens')
export class MfaToken {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64, unique: true })
  tokenHash: string;

  @Column({ name: 'session_version', type: 'integer' })
  sessionVersion: number;

  @Column({ name: 'expires_at' })
  expiresAt: Date;

  @Column({ name: 'used_at', nullable: true, type: Date })
  usedAt: Date | null;

  @Column({ name: 'created_at' })
  createdAt: Date;
}
