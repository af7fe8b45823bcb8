import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { FixedWindowLimiter } from '../common/throttling/fixed-window-limiter';
import { authConfig } from '../config/auth.config';
import { TooManyLoginAttemptsError } from './auth.errors';

const MAX_TRACKED_KEYS = 100_000;

/**
 * Counts failed sign-ins per email and client IP in a sliding window, and per client IP whatever the email (a
 * higher bound, in fixed windows of the same length): one address trying many emails would otherwise keep the
 * password hashing busy for everyone. Kept in this process's memory: behind a load balancer each process
 * counts on its own (see the README).
 */
@Injectable()
export class LoginAttemptsService {
  private readonly failures = new Map<string, number[]>();
  private readonly failuresByIp: FixedWindowLimiter;
  private readonly windowMs: number;
  private readonly maxFailures: number;

  constructor(@Inject(authConfig.KEY) config: ConfigType<typeof authConfig>) {
    this.windowMs = config.loginFailureWindowSeconds * 1000;
    this.maxFailures = config.loginMaxFailures;
    this.failuresByIp = new FixedWindowLimiter(config.loginMaxFailuresPerIp, this.windowMs, MAX_TRACKED_KEYS);
  }

  /** Throws when this email has failed too often from this IP lately, or this IP has, over all emails. */
  assertAllowed(email: string, ip: string, now = Date.now()): void {
    const recent = this.recent(this.key(email, ip), now);
    if (recent.length >= this.maxFailures) {
      throw new TooManyLoginAttemptsError(Math.max(1, Math.ceil((recent[0] + this.windowMs - now) / 1000)));
    }
    const ipRetryAfter = this.failuresByIp.retryAfterSeconds(ip, now);
    if (ipRetryAfter > 0) throw new TooManyLoginAttemptsError(ipRetryAfter);
  }

  recordFailure(email: string, ip: string, now = Date.now()): void {
    this.failuresByIp.hit(ip, now);
    const key = this.key(email, ip);
    const recent = this.recent(key, now);
    recent.push(now);
    this.failures.delete(key);
    this.failures.set(key, recent);
    if (this.failures.size > MAX_TRACKED_KEYS) {
      // Maps iterate in insertion order, so the first key is the one that failed longest ago.
      this.failures.delete(this.failures.keys().next().value!);
    }
  }

  /** Forgets the failures of this email from this IP, and takes back the attempt counted against the IP. */
  recordSuccess(email: string, ip: string, now = Date.now()): void {
    this.failures.delete(this.key(email, ip));
    this.failuresByIp.undo(ip, now);
  }

  /** Takes back the failure counted for an attempt whose password was never checked (the server was busy). */
  withdrawFailure(email: string, ip: string, now = Date.now()): void {
    this.failures.get(this.key(email, ip))?.pop();
    this.failuresByIp.undo(ip, now);
  }

  private key(email: string, ip: string): string {
    return `${email.trim().toLowerCase()}\u0000${ip}`;
  }

  private recent(key: string, now: number): number[] {
    const times = this.failures.get(key);
    if (!times) return [];
    const recent = times.filter((time) => now - time < this.windowMs);
    if (recent.length === 0) this.failures.delete(key);
    return recent;
  }
}
