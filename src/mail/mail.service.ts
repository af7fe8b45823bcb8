import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { EntityManager } from 'typeorm';
import { MetricsService } from '../common/metrics/metrics.service';
import { mailConfig } from '../config/mail.config';
import { MailOutboxRepository, NewMail } from './mail-outbox.repository';
import { MailSender } from './mail-sender.service';

export interface MailState {
  /** Whether SMTP_URL is set. */
  configured: boolean;
  /** smtp; log (development without SMTP_URL); off (production without SMTP_URL: nothing is sent). */
  delivery: 'smtp' | 'log' | 'off';
}

@Injectable()
export class MailService implements OnModuleInit {
  private readonly logger = new Logger('Mail');

  constructor(
    private readonly outbox: MailOutboxRepository,
    private readonly sender: MailSender,
    @Inject(mailConfig.KEY) private readonly config: ConfigType<typeof mailConfig>,
    metrics: MetricsService,
  ) {
    metrics.trackPendingMail(() => this.outbox.countPending());
  }

  onModuleInit(): void {
    if (this.config.delivery === 'off') {
      this.logger.warn(
        'SMTP_URL is not set: no mail is sent; admins can hand out password-reset links (POST /users/:id/password-reset-link)',
      );
    }
  }

  /** False in production without SMTP_URL: nothing would be sent, so callers need not prepare a mail. */
  get enabled(): boolean {
    return this.config.delivery !== 'off';
  }

  /**
   * Queues a mail in the caller's transaction, so it goes out exactly when what it announces was kept; call `wake`
   * once that transaction has committed. Returns false, queuing nothing, when mail is off.
   */
  async queue(mail: NewMail, manager: EntityManager): Promise<boolean> {
    if (this.config.delivery === 'off') return false;
    await this.outbox.insert(mail, manager);
    return true;
  }

  /** Sends what was just queued now rather than at the next poll. */
  wake(): void {
    this.sender.wake();
  }

  /**
   * For the public health check: how mail is set up, nothing about the mails themselves. How many wait would tell
   * anyone whether an address just asked for a reset has an account, and a mail server's refusal names the
   * address; the count is on /metrics (colloquy_mail_pending), the reasons in the log.
   */
  state(): MailState {
    return { configured: this.config.delivery === 'smtp', delivery: this.config.delivery };
  }
}
