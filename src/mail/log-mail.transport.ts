import { Logger } from '@nestjs/common';
import type { NewMail } from './mail-outbox.repository';
import { MailTransport } from './mail-transport';

/**
 * Development without SMTP_URL: the mail goes to the log, so a reset link can be followed on a laptop. Never
 * used in production, where the link would be readable by whoever reads the logs.
 */
export class LogMailTransport extends MailTransport {
  private readonly logger = new Logger('Mail');

  send(mail: NewMail): Promise<void> {
    this.logger.log(
      `mail to ${mail.recipient} (SMTP_URL is not set, so it is only logged): ${mail.subject}\n${mail.text}`,
    );
    return Promise.resolve();
  }
}
