import { registerAs } from '@nestjs/config';
import { validateEnv } from './env.validation';

export interface MailConfig {
  /**
   * How mail leaves: over SMTP_URL; to the log (development and tests without SMTP_URL); or not at all
   * (production without SMTP_URL, where a mail in the log would put its reset link in front of whoever reads logs).
   */
  delivery: 'smtp' | 'log' | 'off';
  /** Kept out of every log line and error message: it may carry the SMTP password. */
  smtpUrl: string | null;
  from: string;
  /** The first retry's delay; each further one doubles it (with jitter), up to an hour. */
  retryMinMs: number;
}

export const mailConfig = registerAs('mail', (): MailConfig => {
  const env = validateEnv(process.env);
  const host = new URL(env.PUBLIC_URL ?? 'http://localhost').hostname;
  return {
    delivery: env.SMTP_URL ? 'smtp' : env.NODE_ENV === 'production' ? 'off' : 'log',
    smtpUrl: env.SMTP_URL ?? null,
    from: env.MAIL_FROM ?? `Colloquy <no-reply@${host}>`,
    retryMinMs: env.MAIL_RETRY_MIN_MS,
  };
});
