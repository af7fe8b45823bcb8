import { AuditLog } from '../common/audit/audit-log.service';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createHash, randomBytes } from 'node:crypto';
import { ShutdownService } from '../common/lifecycle/shutdown.service';
import { addressGroup } from '../common/throttling/address-group';
import { WindowCounter, WindowCounters } from '../common/throttling/window-counters';
import { appConfig } from '../config/app.config';
import { authConfig } from '../config/auth.config';
import { TransactionRunner } from '../database/transaction-runner';
import { MailService } from '../mail/mail.service';
import type { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { InvalidResetTokenError, TooManyPasswordResetsError } from './auth.errors';
import { passwordResetMail } from './password-reset-mail';
import { PasswordResetTokensRepository } from './password-reset-tokens.repository';

const HOUR_MS = 3_600_000;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface ResetLink {
  url: string;
  expiresAt: Date;
}

/**
 * Password resets: a link by mail (forgot), or handed over by an admin; the link sets a new password once and
 * ends every sign-in of the account.
 */
@Injectable()
export class PasswordResetsService {
  private readonly logger = new Logger(PasswordResetsService.name);
  private readonly requestsByEmail: WindowCounter;
  private readonly requestsByIp: WindowCounter;
  private readonly ttlMs: number;
  private readonly publicUrl: string;

  constructor(
    private readonly users: UsersService,
    private readonly tokens: PasswordResetTokensRepository,
    private readonly mail: MailService,
    private readonly transactions: TransactionRunner,
    private readonly shutdown: ShutdownService,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
    @Inject(appConfig.KEY) app: ConfigType<typeof appConfig>,
    counters: WindowCounters,
    private readonly audit: AuditLog,
  ) {
    this.requestsByEmail = counters.create({
      name: 'password-resets-by-email',
      limit: config.passwordResetMaxPerEmail,
      windowMs: HOUR_MS,
      maxKeys: 100_000,
    });
    this.requestsByIp = counters.create({
      name: 'password-resets-by-ip',
      limit: config.passwordResetMaxPerIp,
      windowMs: HOUR_MS,
      maxKeys: 100_000,
    });
    this.ttlMs = config.passwordResetTtlSeconds * 1000;
    this.publicUrl = app.publicUrl;
  }

  /**
   * Counts the request against the email and the IP (known account or not, so that a 429 tells nothing either),
   * then looks the account up and mails it a link after the answer has gone: the caller waits exactly as long
   * whether the account exists or not, so the timing does not tell either.
   */
  async requestReset(email: string, ip: string): Promise<void> {
    const address = email.trim().toLowerCase();
    const network = addressGroup(ip);
    const ipRetryAfter = await this.requestsByIp.take(network);
    if (ipRetryAfter > 0) throw new TooManyPasswordResetsError(ipRetryAfter);
    const retryAfter = await this.requestsByEmail.take(address);
    if (retryAfter > 0) {
      await this.requestsByIp.undo(network);
      throw new TooManyPasswordResetsError(retryAfter);
    }
    this.shutdown.track(
      this.mailLink(address).catch((error: unknown) => {
        this.logger.error(`could not queue a password-reset mail: ${(error as Error).message}`);
      }),
    );
  }

  /** For servers without mail: an admin hands the link over. Throws UserNotFoundError for an unknown id. */
  async createLink(adminId: string, userId: string): Promise<ResetLink> {
    const user = await this.users.getById(userId);
    const { token, tokenHash, expiresAt } = this.newToken();
    await this.transactions.run(async (manager) => {
      await this.tokens.insert({ userId: user.id, tokenHash, sessionVersion: user.sessionVersion, expiresAt }, manager);
      await this.audit.record(
        { action: 'auth.reset_link_created', actorId: adminId, targetType: 'user', targetId: user.id },
        manager,
      );
    });
    return { url: this.linkFor(token), expiresAt };
  }

  /**
   * Sets the password once per link and retires the user's other links; every sign-in of the user ends. A link
   * made before the password last changed (by its owner, another link or the command line) no longer works.
   */
  async resetPassword(token: string, newPassword: string): Promise<void> {
    const found = await this.tokens.findUsable(hashToken(token), new Date());
    if (!found) throw new InvalidResetTokenError();
    const done = await this.users.resetPassword(
      found.userId,
      newPassword,
      () => this.tokens.consume(found.id, new Date()),
      found.sessionVersion,
      (manager) =>
        this.audit.record(
          { action: 'auth.password_reset', targetType: 'user', targetId: found.userId, details: { via: 'link' } },
          manager,
        ),
    );
    if (!done) throw new InvalidResetTokenError();
    await this.tokens.retireAllOfUser(found.userId, new Date());
  }

  private async mailLink(email: string): Promise<void> {
    if (!this.mail.enabled) return;
    const user: User | null = await this.users.findActiveByEmail(email);
    if (!user) return;
    const { token, tokenHash, expiresAt } = this.newToken();
    const mail = passwordResetMail({ email: user.email, url: this.linkFor(token), ttlSeconds: this.ttlMs / 1000 });
    // The link and the mail carrying it are kept together or not at all.
    await this.transactions.run(async (manager) => {
      await this.tokens.insert({ userId: user.id, tokenHash, sessionVersion: user.sessionVersion, expiresAt }, manager);
      await this.mail.queue({ recipient: user.email, ...mail }, manager);
    });
    this.mail.wake();
  }

  private newToken() {
    const token = randomBytes(32).toString('base64url');
    return { token, tokenHash: hashToken(token), expiresAt: new Date(Date.now() + this.ttlMs) };
  }

  /** In the fragment: browsers send neither it to the server nor it in a Referer, so it stays out of access logs. */
  private linkFor(token: string): string {
    return `${this.publicUrl}/#reset=${token}`;
  }
}
