import { AsyncResource } from 'node:async_hooks';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { mailConfig } from '../config/mail.config';
import { MailOutboxRepository } from './mail-outbox.repository';
import { MailDeliveryError, MailTransport } from './mail-transport';

/** How often the outbox is looked at when nothing is due: mails queued by other processes, or left by a dead one. */
const POLL_MS = 15_000;
/** Longer than the transport's time-outs, so a slow send is not taken over by a second sender while it runs. */
const LEASE_MS = 2 * 60_000;
const MAX_BACKOFF_MS = 60 * 60_000;
const BATCH = 10;

/**
 * Sends what the outbox holds, one mail at a time, with exponential backoff and jitter between failed attempts:
 * an unreachable server delays mails, and they go out once it is back. Several processes may share the database;
 * each claims a mail before sending it, so a mail goes out once.
 */
@Injectable()
export class MailSender implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Mail');
  private timer?: NodeJS.Timeout;
  /**
   * The sender's own async scope, made at start-up: its timers run outside whichever request woke it, so that its
   * log lines (about mails of other people) never carry that request's id.
   */
  private readonly scope = new AsyncResource('colloquy.mail-sender');
  private running?: Promise<void>;
  private wakeRequested = false;
  private stopped = true;

  constructor(
    private readonly outbox: MailOutboxRepository,
    private readonly transport: MailTransport,
    @Inject(mailConfig.KEY) private readonly config: ConfigType<typeof mailConfig>,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.delivery === 'off') return;
    this.stopped = false;
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    this.transport.close();
  }

  /** Looks at the outbox now, rather than at the next poll: a mail was just queued. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.wakeRequested = true;
    else this.schedule(0);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    // Unref'd: a pending poll never keeps the process alive on its own.
    this.timer = this.scope.runInAsyncScope(() => setTimeout(() => void this.tick(), delayMs).unref());
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    this.running = this.drain().catch((error: unknown) => {
      this.logger.warn(`could not read the mail outbox: ${(error as Error).message}`);
    });
    await this.running;
    this.running = undefined;
    if (this.stopped) return;
    if (this.wakeRequested) {
      this.wakeRequested = false;
      this.schedule(0);
      return;
    }
    const next = await this.outbox.nextDueAt().catch(() => null);
    this.schedule(next ? Math.min(Math.max(0, next.getTime() - Date.now()), POLL_MS) : POLL_MS);
  }

  private async drain(): Promise<void> {
    for (;;) {
      const due = await this.outbox.listDue(new Date(), BATCH);
      for (const id of due) {
        if (this.stopped) return;
        await this.sendOne(id);
      }
      if (due.length < BATCH) return;
    }
  }

  private async sendOne(id: string): Promise<void> {
    const mail = await this.outbox.claim(id, new Date(), LEASE_MS);
    if (!mail) return; // another sender took it
    try {
      await this.transport.send(mail);
    } catch (error) {
      const failure =
        error instanceof MailDeliveryError ? error : new MailDeliveryError((error as Error).message, false);
      const retryAt = failure.permanent ? null : new Date(Date.now() + this.backoffMs(mail.attempts));
      await this.outbox.markFailed(id, failure.message, retryAt);
      this.logger.warn(
        `mail ${id}, attempt ${mail.attempts}: ${failure.message}; ` +
          (retryAt ? `next attempt at ${retryAt.toISOString()}` : 'refused for good, given up'),
      );
      return;
    }
    await this.outbox.markSent(id);
  }

  /** Doubles from MAIL_RETRY_MIN_MS up to an hour, each delay drawn from its upper half so senders spread out. */
  private backoffMs(attempts: number): number {
    const ceiling = Math.min(MAX_BACKOFF_MS, this.config.retryMinMs * 2 ** Math.min(attempts - 1, 20));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }
}
