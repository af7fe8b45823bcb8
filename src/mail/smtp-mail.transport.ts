import type { Transporter } from 'nodemailer';
import type { NewMail } from './mail-outbox.repository';
import { MailDeliveryError, MailTransport } from './mail-transport';

/** Nodemailer errors carry these; nothing else of them leaves this adapter. */
interface NodemailerError {
  message?: string;
  code?: string;
  responseCode?: number;
  permanent?: boolean;
}

/** Sends over SMTP_URL (`smtp://` with STARTTLS when offered, `smtps://` for TLS from the start). */
export class SmtpMailTransport extends MailTransport {
  private readonly transporter: Transporter;
  private readonly secrets: string[];

  constructor(smtpUrl: string, from: string) {
    super();
    // Required here, not imported at the top: nodemailer is for servers with SMTP_URL only, and loading it was a
    // few percent of every start. A `require`, so that a bad SMTP_URL still fails at start as before.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createTransport } = require('nodemailer') as typeof import('nodemailer');
    // Short time-outs: a server that does not answer should delay this mail, not hold the sender for minutes.
    this.transporter = createTransport(
      { url: smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 },
      { from },
    );
    const url = new URL(smtpUrl);
    this.secrets = [url.password, decodeURIComponent(url.password)].filter((secret) => secret.length > 0);
  }

  async send(mail: NewMail): Promise<void> {
    try {
      await this.transporter.sendMail({ to: mail.recipient, subject: mail.subject, text: mail.text, html: mail.html });
    } catch (error) {
      const failure = error as NodemailerError;
      const reason = [failure.code, failure.responseCode, failure.message].filter(Boolean).join(' ');
      // Stored and shown by /health: a server echoing the credentials back must not put the password there.
      const redacted = this.secrets.reduce((text, secret) => text.split(secret).join('***'), reason);
      // Given up only when this mail itself was refused for good (its recipient, its content). A refused sign-in
      // (535) is permanent too in SMTP terms, but it is the server's setting: once fixed, the mail should still go.
      const refusedForGood =
        failure.permanent === true && (failure.code === 'EENVELOPE' || failure.code === 'EMESSAGE');
      throw new MailDeliveryError(redacted || 'the mail server refused the mail', refusedForGood);
    }
  }

  override close(): void {
    this.transporter.close();
  }
}
