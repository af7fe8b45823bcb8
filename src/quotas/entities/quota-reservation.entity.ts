import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The part of a running call's estimate added to one counter. Deleted when the call settles; one whose process
 * died is given back once `expiresAt` has passed.
 */
@Entity('quota_reservations')
export class QuotaReservation {
  @PrimaryColumn({ name: 'reservation_id', type: 'varchar', length: 36 })
  reservationId: string;

  @PrimaryColumn({ name: 'policy_id', type: 'varchar', length: 36 })
  policyId: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @Column({ type: 'varchar', length: 10 })
  period: string;

  @Column({ type: 'integer' })
  requests: number;

  @Column({ type: 'integer' })
  tokens: number;

  @Column({ name: 'expires_at' })
  expiresAt: Date;
}
