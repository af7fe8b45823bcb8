import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { dateParam } from '../database/date-param';
import { OutboxMail } from './outbox-mail.entity';

/** What a mail that will not be sent again keeps of its text. */
const NO_BODY = { text: '', html: '' } as const;

export type NewMail = Pick<OutboxMail, 'recipient' | 'subject' | 'text' | 'html'>;

@Injectable()
export class MailOutboxRepository {
  constructor(
    @InjectRepository(OutboxMail) private readonly mails: Repository<OutboxMail>,
    private readonly dataSource: DataSource,
  ) {}

  /** Queues a mail, due at once; inside the caller's transaction when given its manager. */
  async insert(mail: NewMail, manager?: EntityManager): Promise<void> {
    const repository = manager ? manager.getRepository(OutboxMail) : this.mails;
    const now = new Date();
    await repository.insert({
      ...mail,
      attempts: 0,
      nextAttemptAt: now,
      sentAt: null,
      lastError: null,
      createdAt: now,
    });
  }

  /** Ids of the mails due by `now`, oldest due first. */
  async listDue(now: Date, limit: number): Promise<string[]> {
    const rows = await this.mails
      .createQueryBuilder('m')
      .select('m.id', 'id')
      .where('m.next_attempt_at <= :now', { now: dateParam(this.dataSource, now) })
      .orderBy('m.next_attempt_at', 'ASC')
      .limit(limit)
      .getRawMany<{ id: string }>();
    return rows.map((row) => row.id);
  }

  /** When the next unsent mail falls due, or null when none waits. */
  async nextDueAt(): Promise<Date | null> {
    const next = await this.mails
      .createQueryBuilder('m')
      .where('m.next_attempt_at IS NOT NULL')
      .orderBy('m.next_attempt_at', 'ASC')
      .limit(1)
      .getOne();
    return next?.nextAttemptAt ?? null;
  }

  /**
   * Takes a due mail for `leaseMs` and counts the attempt. Returns the mail, or null when another sender (this
   * process or another one on the same database) took it first: the check and the claim are one statement.
   */
  async claim(id: string, now: Date, leaseMs: number): Promise<OutboxMail | null> {
    const result = await this.mails
      .createQueryBuilder()
      .update(OutboxMail)
      .set({ nextAttemptAt: new Date(now.getTime() + leaseMs), attempts: () => 'attempts + 1' })
      .where('id = :id AND next_attempt_at <= :now', { id, now: dateParam(this.dataSource, now) })
      .execute();
    if (result.affected !== 1) return null;
    return this.mails.findOneBy({ id });
  }

  /**
   * Records the mail as sent. Its text goes: it holds a working link (a reset token, of which the database keeps
   * otherwise only a hash), and nothing reads it again; recipient, subject and times stay for the record.
   */
  async markSent(id: string): Promise<void> {
    await this.mails.update({ id }, { sentAt: new Date(), nextAttemptAt: null, lastError: null, ...NO_BODY });
  }

  /** Records a failure; `retryAt` null gives the mail up, and then its text goes as a sent one's does. */
  async markFailed(id: string, error: string, retryAt: Date | null): Promise<void> {
    await this.mails.update(
      { id },
      { lastError: error.slice(0, 500), nextAttemptAt: retryAt, ...(retryAt === null ? NO_BODY : {}) },
    );
  }

  /** Mails still to go out. */
  countPending(): Promise<number> {
    return this.mails.createQueryBuilder('m').where('m.next_attempt_at IS NOT NULL').getCount();
  }
}
