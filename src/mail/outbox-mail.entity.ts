import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A mail waiting to go out, or gone. Written in the same transaction as what it announces, so a mail is never
 * sent for something that was rolled back, nor lost for something that was kept.
 */
@Entity('mail_outbox')
export class OutboxMail {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 254 })
  recipient: string;

  @Column({ type: 'varchar', length: 200 })
  subject: string;

  @Column({ type: 'text' })
  text: string;

  @Column({ type: 'text' })
  html: string;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  /**
   * When a sender may next take it. A sender claims a mail by moving this forward by a lease, so a mail whose
   * sender died becomes due again; null once sent, or given up after a permanent refusal.
   */
  @Column({ name: 'next_attempt_at', nullable: true, type: Date })
  nextAttemptAt: Date | null;

  @Column({ name: 'sent_at', nullable: true, type: Date })
  sentAt: Date | null;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError: string | null;

  @Column({ name: 'created_at' })
  createdAt: Date;
}
