import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * What one person has spent under one policy in one period (`2026-12-02`, `2026-12`): settled usage plus the
 * reservations of calls still running. Raised only by a conditional UPDATE that keeps it within the policy.
 */
@Entity('quota_counters')
export class QuotaCounter {
  @PrimaryColumn({ name: 'policy_id', type: 'varchar', length: 36 })
  policyId: string;

  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @PrimaryColumn({ type: 'varchar', length: 10 })
  period: string;

  @Column({ name: 'used_requests', type: 'integer' })
  usedRequests: number;

  @Column({ name: 'used_tokens', type: 'integer' })
  usedTokens: number;
}
