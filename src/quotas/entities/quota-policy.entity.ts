import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { QuotaWindow } from '../quota-window';

/**
 * A limit set by an admin: for everyone (`userId` null) or one person, on every model (`model` null) or those
 * whose id matches a glob (`openai/*`), per UTC day or month, on requests and/or tokens.
 */
@Entity('quota_policies')
export class QuotaPolicy {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Null: the default for everyone. */
  @Column({ name: 'user_id', type: 'varchar', length: 36, nullable: true })
  userId: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  model: string | null;

  @Column({ name: 'quota_window', type: 'varchar', length: 8 })
  window: QuotaWindow;

  @Column({ name: 'max_requests', type: 'integer', nullable: true })
  maxRequests: number | null;

  @Column({ name: 'max_tokens', type: 'integer', nullable: true })
  maxTokens: number | null;

  @Column({ name: 'created_at' })
  createdAt: Date;
}
