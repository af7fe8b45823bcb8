import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { authConfig } from '../config/auth.config';
import { TooManyLoginAttemptsError } from './auth.errors';

const MAX_TRACKED_KEYS = 100_000;

/**
 * Counts failed sign-ins per email and client IP in a sliding window. Kept in this process's memory: behind a
 * load balancer each process counts on its own (see the README).
 */
@Injectable()
export class LoginAttemptsService {
  private readonly failures = new Map<string, number[]>();
  private readonly windowMs: number;
  private readonly maxFailures: number;

  constructor(@Inject(authConfig.KEY) config: ConfigType<typeof authConfig>) {
    this.windowMs = config.loginFailureWindowSeconds * 1000;
    this.maxFailures = config.loginMaxFailures;
  }

  /** Throws when this email has failed too often from this IP lately. */
  assertAllowed(email: string, ip: string, now = Date.now()): void {
    const recent = this.recent(this.key(email, ip), now);
    if (recent.length >= this.maxFailures) {
      throw new TooManyLoginAttemptsError(Math.max(1, Math.ceil((recent[0] + this.windowMs - now) / 1000)));
    }
  }

  recordFailure(email: string, ip: string, now = Date.now()): void {
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

  recordSuccess(email: string, ip: string): void {
    this.failures.delete(this.key(email, ip));
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
