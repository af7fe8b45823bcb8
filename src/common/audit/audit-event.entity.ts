import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type AuditOutcome = 'success' | 'failure';

/**
 * One thing a person or an admin did, or tried to. Append-only: rows are inserted and, after
 * AUDIT_RETENTION_DAYS, deleted; never changed. No foreign keys: the trail outlives the accounts it names.
 */
@Entity('audit_events')
export class AuditEvent {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'at' })
  at: Date;

  /** Who did it; null when nobody was signed in (a failed sign-in, a password reset by link). */
  @Column({ name: 'actor_id', type: 'varchar', length: 36, nullable: true })
  actorId: string | null;

  /** What, such as `auth.sign_in` or `api_key.revoked`. */
  @Column({ type: 'varchar', length: 64 })
  action: string;

  @Column({ name: 'target_type', type: 'varchar', length: 32, nullable: true })
  targetType: string | null;

  @Column({ name: 'target_id', type: 'varchar', length: 64, nullable: true })
  targetId: string | null;

  @Column({ type: 'varchar', length: 16 })
  outcome: AuditOutcome;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 256, nullable: true })
  userAgent: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 64, nullable: true })
  requestId: string | null;

  /** A few facts about it (the new role, a key's name, why it failed): never a message, password or token. */
  @Column({ type: 'simple-json', nullable: true })
  details: Record<string, string | number | boolean | null> | null;
}
