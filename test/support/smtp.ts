import { ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { waitFor } from './wait-for';

export const SMTP_USER = 'colloquy';
export const SMTP_PASSWORD = 'smtp-secret-that-must-never-be-logged';

/**
 * A real SMTP server on 127.0.0.1 that keeps every mail it receives, parsed. It asks for the credentials in
 * `SMTP_URL` (so the app's transport signs in as a real server would make it) and offers no STARTTLS (so the
 * app's transport speaks plain SMTP on loopback).
 */
export class TestSmtpServer {
  readonly mails: ParsedMail[] = [];
  private server?: SMTPServer;

  private constructor(
    public port: number,
    private readonly refuses: (recipient: string) => boolean,
  ) {}

  /** Starts on `port`, or on a free one; recipients `refuses` names are refused for good (550). */
  static async start(port = 0, refuses: (recipient: string) => boolean = () => false): Promise<TestSmtpServer> {
    const smtp = new TestSmtpServer(port, refuses);
    await smtp.listen();
    return smtp;
  }

  get url(): string {
    return `smtp://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${this.port}`;
  }

  /** Mails to `recipient` received so far. */
  mailsTo(recipient: string): ParsedMail[] {
    return this.mails.filter((mail) => mail.to && JSON.stringify(mail.to).includes(recipient));
  }

  /** Waits until a mail to `recipient` has arrived and returns the latest; fails the test if none does. */
  async waitForMailTo(recipient: string, timeoutMs = 10_000): Promise<ParsedMail> {
    const found = await waitFor(
      async () => this.mailsTo(recipient),
      (mails) => mails.length > 0,
      timeoutMs,
    );
    if (found.length === 0) throw new Error(`no mail to ${recipient} within ${timeoutMs} ms`);
    return found[found.length - 1];
  }

  /** Stops taking connections; `listen` starts it again on the same port. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async listen(): Promise<void> {
    const server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      logger: false,
      onAuth: (auth, _session, callback) => {
        if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) callback(null, { user: auth.username });
        else callback(new Error('invalid credentials'));
      },
      onRcptTo: (address, _session, callback) => {
        if (!this.refuses(address.address)) return callback();
        callback(Object.assign(new Error('no such mailbox here'), { responseCode: 550 }));
      },
      onData: (stream, _session, callback) => {
        simpleParser(stream).then(
          (mail) => {
            this.mails.push(mail);
            callback();
          },
          (error: Error) => callback(error),
        );
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.server.address() as { port: number }).port;
    this.server = server;
  }
}

/** The token of the reset link in a mail's text. */
export function resetTokenIn(mail: ParsedMail): string {
  const match = /#reset=([A-Za-z0-9_-]+)/.exec(mail.text ?? '');
  if (!match) throw new Error(`no reset link in the mail:\n${mail.text}`);
  return match[1];
}
