import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** complete: the model finished; error: the call failed; cancelled: the client went away before the end. */
export type UsageStatus = 'complete' | 'error' | 'cancelled';

/** One model call made through the OpenAI-compatible API, recorded against the caller. */
@Entity('usage_records')
export class UsageRecord {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  /** `<provider>/<model>` as the client named it. */
  @Column({ type: 'varchar', length: 200 })
  model: string;

  /** The model that actually answered: `model`, or a fallback of it (MODEL_FALLBACKS); null when none did. */
  @Column({ name: 'served_by', type: 'varchar', length: 200, nullable: true })
  servedBy: string | null;

  @Column({ type: 'varchar', length: 16 })
  status: UsageStatus;

  /** The error code of a failed call, e.g. UPSTREAM_RATE_LIMITED. */
  @Column({ name: 'error_code', type: 'varchar', length: 64, nullable: true })
  errorCode: string | null;

  /** As the provider reported them; 0 when it reported none (a failed or cancelled call). */
  @Column({ name: 'prompt_tokens', type: 'integer' })
  promptTokens: number;

  @Column({ name: 'completion_tokens', type: 'integer' })
  completionTokens: number;

  /** From the request's arrival to the end of the model's answer. */
  @Column({ name: 'latency_ms', type: 'integer' })
  latencyMs: number;

  /**
   * The UTC day of `createdAt` as YYYY-MM-DD. Stored, so that grouping by day is the same plain column on
   * SQLite and PostgreSQL, and served by the (user, day) index.
   */
  @Column({ type: 'varchar', length: 10 })
  day: string;

  @Column({ name: 'created_at' })
  createdAt: Date;
}
