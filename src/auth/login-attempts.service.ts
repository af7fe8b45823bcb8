import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { WindowCounter, WindowCounters } from '../common/throttling/window-counters';
import { authConfig } from '../config/auth.config';
import { TooManyLoginAttemptsError } from './auth.errors';
import { addressGroup } from '../common/throttling/address-group';

const MAX_TRACKED_KEYS = 100_000;

/**
 * Counts failed sign-ins per email and client IP in a sliding window, and per client IP whatever the email (a
 * higher bound, in fixed windows of the same length): one address trying many emails would otherwise keep the
 * password hashing busy for everyone. With REDIS_URL the counts are shared by every process.
 */
@Injectable()
export class LoginAttemptsService {
  private readonly failures: WindowCounter;
  private readonly failuresByIp: WindowCounter;

  constructor(@Inject(authConfig.KEY) config: ConfigType<typeof authConfig>, counters: WindowCounters) {
    const windowMs = config.loginFailureWindowSeconds * 1000;
    this.failures = counters.create({
      name: 'login-failures',
      limit: config.loginMaxFailures,
      windowMs,
      sliding: true,
      maxKeys: MAX_TRACKED_KEYS,
    });
    this.failuresByIp = counters.create({
      name: 'login-failures-by-ip',
      limit: config.loginMaxFailuresPerIp,
      windowMs,
      maxKeys: MAX_TRACKED_KEYS,
    });
  }

  /**
   * Counts a sign-in attempt as a failure before its password is checked, so that guesses sent all at once cannot
   * all get past the limit; throws, counting nothing, when this email has failed too often from this IP lately,
   * or this IP has, over all emails. `recordSuccess` or `withdrawFailure` take the count back.
   */
  async recordAttempt(email: string, ip: string, now = Date.now()): Promise<void> {
    const network = addressGroup(ip);
    const key = this.key(email, network);
    const retryAfter = await this.failures.take(key, now);
    if (retryAfter > 0) throw new TooManyLoginAttemptsError(retryAfter);
    const ipRetryAfter = await this.failuresByIp.take(network, now);
    if (ipRetryAfter > 0) {
      await this.failures.undo(key, now);
      throw new TooManyLoginAttemptsError(ipRetryAfter);
    }
  }

  /** Forgets the failures of this email from this IP, and takes back the attempt counted against the IP. */
  async recordSuccess(email: string, ip: string, now = Date.now()): Promise<void> {
    const network = addressGroup(ip);
    await Promise.all([this.failures.clear(this.key(email, network)), this.failuresByIp.undo(network, now)]);
  }

  /** Takes back the failure counted for an attempt whose password was never checked (the server was busy). */
  async withdrawFailure(email: string, ip: string, now = Date.now()): Promise<void> {
    const network = addressGroup(ip);
    await Promise.all([this.failures.undo(this.key(email, network), now), this.failuresByIp.undo(network, now)]);
  }

  private key(email: string, network: string): string {
    return `${email.trim().toLowerCase()}\u0000${network}`;
  }
}
