import type { NewMail } from './mail-outbox.repository';

/** A mail that could not be handed over. `permanent`: the server refused it for good; trying again cannot help. */
export class MailDeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'MailDeliveryError';
  }
}

/** The port the outbox sender hands mails to; one adapter per way out (SMTP, the log). Used as the DI token. */
export abstract class MailTransport {
  /** Resolves once the mail is accepted; throws MailDeliveryError otherwise. */
  abstract send(mail: NewMail): Promise<void>;
  /** Frees connections at shutdown. */
  close(): void {}
}
