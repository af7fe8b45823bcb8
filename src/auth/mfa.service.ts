import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createHash, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { DataSource } from 'typeorm';
import { AuditLog } from '../common/audit/audit-log.service';
import { WindowCounter, WindowCounters } from '../common/throttling/window-counters';
import { authConfig } from '../config/auth.config';
import { dateParam } from '../database/date-param';
import { TransactionRunner } from '../database/transaction-runner';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import {
  AccountDisabledError,
  InvalidMfaCodeError,
  InvalidMfaTokenError,
  InvalidSetupCodeError,
  MfaAlreadyEnabledError,
  MfaNotEnabledError,
  MfaSetupNotStartedError,
  MfaUnavailableError,
  TooManyMfaCodesError,
} from './auth.errors';
import { MfaBackupCode } from './entities/mfa-backup-code.entity';
import { MfaToken } from './entities/mfa-token.entity';
import { LoginAttemptsService } from './login-attempts.service';
import { SignInEvents } from './sign-in-events.service';
import { open, seal } from './secret-box';

const ISSUER = 'Colloquy';
const PERIOD_SECONDS = 30;
const BACKUP_CODES = 10;
const MFA_TOKEN_TTL_MS = 5 * 60_000;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
/** Backup codes are typed by hand: case, spaces and dashes do not matter. */
const normalize = (code: string) => code.replace(/[\s-]/g, '').toLowerCase();
/** 64 random bits, so an unsalted SHA-256 is enough to keep the stored hashes useless to a reader of the table. */
const newBackupCode = () => (randomBytes(8).toString('hex').match(/.{4}/g) as string[]).join('-');

/**
 * Two-factor sign-in with RFC 6238 codes (±1 step of 30 s, each step accepted once) and single-use backup codes.
 * The secret is kept encrypted with DATA_ENCRYPTION_KEY; without that key nobody can set it up.
 */
@Injectable()
export class MfaService {
  private readonly logger = new Logger(MfaService.name);
  private readonly key: Buffer | null;
  /** Wrong codes per account when turning it off: a stolen password plus an open tab must not guess the code. */
  private readonly disableFailures: WindowCounter;

  constructor(
    private readonly users: UsersService,
    private readonly attempts: LoginAttemptsService,
    private readonly dataSource: DataSource,
    @Inject(authConfig.KEY) config: ConfigType<typeof authConfig>,
    counters: WindowCounters,
    private readonly events: SignInEvents,
    private readonly transactions: TransactionRunner,
    private readonly audit: AuditLog,
  ) {
    this.key = config.dataEncryptionKey;
    this.disableFailures = counters.create({
      name: 'mfa-disable-failures',
      limit: config.loginMaxFailures,
      windowMs: config.loginFailureWindowSeconds * 1000,
    });
  }

  /** Makes a new secret, kept until confirmed; a second call replaces an unconfirmed one. */
  async startSetup(userId: string, password: string) {
    const key = this.requireKey();
    const user = await this.users.getById(userId);
    if (user.totpEnabledAt) throw new MfaAlreadyEnabledError();
    await this.users.checkPassword(user, password);
    const secret = new Secret({ size: 20 });
    await this.updateUser(user.id, {
      totpSecretEncrypted: seal(key, secret.base32, user.id),
      totpLastStep: null,
    });
    const otpauthUrl = this.totp(user.email, secret).toString();
    // Imported here, not at the top: qrcode (with its PNG encoder) is only for this step, and costs every start.
    const { toString: qrToString } = await import('qrcode');
    const svg = await qrToString(otpauthUrl, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });
    return {
      secret: secret.base32,
      otpauthUrl,
      qrCodeSvg: `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`,
    };
  }

  /** Turns two-factor sign-in on with the first good code, and returns the backup codes: their only showing. */
  async confirmSetup(userId: string, code: string): Promise<{ backupCodes: string[] }> {
    const user = await this.withSecret(userId);
    if (user.totpEnabledAt) throw new MfaAlreadyEnabledError();
    if (!user.totpSecretEncrypted) throw new MfaSetupNotStartedError();
    if (!(await this.acceptTotp(user, normalize(code)))) throw new InvalidSetupCodeError();
    const backupCodes = Array.from({ length: BACKUP_CODES }, newBackupCode);
    const now = new Date();
    // On the transaction runner: SQLite's one connection takes one transaction at a time. The refusal below comes
    // before anything was written.
    await this.transactions.runOrRefuse(async (manager) => {
      const enabled = await manager
        .createQueryBuilder()
        .update(User)
        .set({ totpEnabledAt: now })
        .where('id = :id AND totp_enabled_at IS NULL', { id: userId })
        .execute();
      // Two confirms racing with two good codes: the later one must not replace the codes the first one answered.
      if (enabled.affected !== 1) throw new MfaAlreadyEnabledError();
      await manager.createQueryBuilder().delete().from(MfaBackupCode).where('user_id = :userId', { userId }).execute();
      await manager
        .createQueryBuilder()
        .insert()
        .into(MfaBackupCode)
        .values(backupCodes.map((c) => ({ userId, codeHash: sha256(normalize(c)), usedAt: null, createdAt: now })))
        .execute();
      await this.audit.record(
        { action: 'auth.mfa_enabled', actorId: userId, targetType: 'user', targetId: userId },
        manager,
      );
    });
    return { backupCodes };
  }

  /** Turns it off for oneself: the password and a code (from the app or a backup code). */
  async disable(userId: string, password: string, code: string): Promise<void> {
    const user = await this.withSecret(userId);
    if (!user.totpEnabledAt) throw new MfaNotEnabledError();
    await this.users.checkPassword(user, password);
    // Counted before the code is checked, so codes sent all at once cannot all get past the limit.
    const retryAfter = await this.disableFailures.take(user.id);
    if (retryAfter > 0) throw new TooManyMfaCodesError(retryAfter);
    if (!(await this.acceptCode(user, code))) throw new InvalidMfaCodeError();
    await this.disableFailures.clear(user.id);
    await this.turnOff(user.id, user.id);
  }

  /** An admin turns it off for someone who lost their device and their backup codes. */
  async disableFor(adminId: string, userId: string): Promise<void> {
    const user = await this.users.getById(userId);
    // Also clears a setup that was started and never confirmed; only turning it off is an event.
    await this.turnOff(user.id, adminId, user.totpEnabledAt != null);
  }

  /** After a good password: a token for the second step, bound to this user and this password (session version). */
  async issueToken(user: User): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const now = new Date();
    await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(MfaToken)
      .values({
        userId: user.id,
        tokenHash: sha256(token),
        sessionVersion: user.sessionVersion,
        expiresAt: new Date(now.getTime() + MFA_TOKEN_TTL_MS),
        usedAt: null,
        createdAt: now,
      })
      .execute();
    return token;
  }

  /**
   * The second step of a sign-in. A wrong code stays counted as a failed sign-in of the account's email from this
   * IP (the password step left its attempt counted too), so codes cannot be guessed past LOGIN_MAX_FAILURES.
   */
  async completeLogin(mfaToken: string, code: string, ip: string): Promise<User> {
    try {
      const user = await this.checkSecondStep(mfaToken, code, ip);
      this.events.passed('mfa', 'success');
      return user;
    } catch (error) {
      await this.events.refused('mfa', error);
      throw error;
    }
  }

  private async checkSecondStep(mfaToken: string, code: string, ip: string): Promise<User> {
    const now = new Date();
    const row = await this.dataSource
      .getRepository(MfaToken)
      .createQueryBuilder('t')
      .where('t.token_hash = :hash AND t.used_at IS NULL AND t.expires_at > :now', {
        hash: sha256(mfaToken),
        now: dateParam(this.dataSource, now),
      })
      .getOne();
    if (!row) throw new InvalidMfaTokenError();
    const user = await this.withSecret(row.userId).catch(() => null);
    // Disabled since the password step: said as the password step would say it, so the page tells the person.
    if (user?.disabled) throw new AccountDisabledError();
    if (!user || !user.totpEnabledAt || user.sessionVersion !== row.sessionVersion) {
      throw new InvalidMfaTokenError();
    }
    await this.attempts.recordAttempt(user.email, ip);
    if (!(await this.acceptCode(user, code))) throw new InvalidMfaCodeError();
    const used = await this.dataSource
      .createQueryBuilder()
      .update(MfaToken)
      .set({ usedAt: now })
      .where('id = :id AND used_at IS NULL', { id: row.id })
      .execute();
    // Two requests with one token and two good codes: only one signs in.
    if (used.affected !== 1) throw new InvalidMfaTokenError();
    await this.attempts.recordSuccess(user.email, ip);
    return user;
  }

  private async acceptCode(user: User, code: string): Promise<boolean> {
    const normalized = normalize(code);
    if (/^\d{6}$/.test(normalized)) return this.acceptTotp(user, normalized);
    const result = await this.dataSource
      .createQueryBuilder()
      .update(MfaBackupCode)
      .set({ usedAt: new Date() })
      .where('user_id = :userId AND code_hash = :hash AND used_at IS NULL', {
        userId: user.id,
        hash: sha256(normalized),
      })
      .execute();
    return result.affected === 1;
  }

  /**
   * Checks the code against the previous, current and next step, then records its step in the same statement that
   * checks it is later than the last one accepted: two requests with one code cannot both pass.
   */
  private async acceptTotp(user: User, code: string): Promise<boolean> {
    if (!user.totpSecretEncrypted) return false;
    const secret = Secret.fromBase32(this.secretOf(user, user.totpSecretEncrypted));
    const now = Date.now();
    const delta = this.totp(user.email, secret).validate({ token: code, timestamp: now, window: 1 });
    if (delta === null) return false;
    const step = Math.floor(now / 1000 / PERIOD_SECONDS) + delta;
    const result = await this.dataSource
      .createQueryBuilder()
      .update(User)
      .set({ totpLastStep: step })
      .where('id = :id AND (totp_last_step IS NULL OR totp_last_step < :step)', { id: user.id, step })
      .execute();
    return result.affected === 1;
  }

  private async turnOff(userId: string, actorId: string, wasOn = true): Promise<void> {
    await this.transactions.run(async (manager) => {
      await manager
        .createQueryBuilder()
        .update(User)
        .set({ totpSecretEncrypted: null, totpEnabledAt: null, totpLastStep: null })
        .where('id = :id', { id: userId })
        .execute();
      await manager.createQueryBuilder().delete().from(MfaBackupCode).where('user_id = :userId', { userId }).execute();
      await manager.createQueryBuilder().delete().from(MfaToken).where('user_id = :userId', { userId }).execute();
      if (wasOn) {
        await this.audit.record(
          { action: 'auth.mfa_disabled', actorId, targetType: 'user', targetId: userId },
          manager,
        );
      }
    });
  }

  private totp(email: string, secret: Secret): TOTP {
    return new TOTP({ issuer: ISSUER, label: email, algorithm: 'SHA1', digits: 6, period: PERIOD_SECONDS, secret });
  }

  /** The stored secret in the clear; a 503 that says why when this server's key cannot read it. */
  private secretOf(user: User, sealed: string): string {
    const key = this.requireKey();
    try {
      return open(key, sealed, user.id);
    } catch {
      this.logger.error(
        `the two-factor secret of user ${user.id} cannot be read with DATA_ENCRYPTION_KEY: was the key changed?`,
      );
      throw new MfaUnavailableError(
        'two-factor codes from the app cannot be checked for this account: the server cannot read its secret ' +
          '(DATA_ENCRYPTION_KEY was changed); a backup code still works, or an admin can turn two-factor sign-in off',
      );
    }
  }

  private requireKey(): Buffer {
    if (!this.key) throw new MfaUnavailableError();
    return this.key;
  }

  private async withSecret(userId: string): Promise<User> {
    const user = await this.dataSource
      .getRepository(User)
      .createQueryBuilder('u')
      .addSelect(['u.totpSecretEncrypted', 'u.totpLastStep'])
      .where('u.id = :id', { id: userId })
      .getOne();
    if (!user) return this.users.getById(userId); // throws UserNotFoundError
    return user;
  }

  private async updateUser(id: string, changes: Partial<User>): Promise<void> {
    await this.dataSource.createQueryBuilder().update(User).set(changes).where('id = :id', { id }).execute();
  }
}
