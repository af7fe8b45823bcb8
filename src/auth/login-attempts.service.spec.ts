import { createSecretKey } from 'node:crypto';
import type { ConfigType } from '@nestjs/config';
import type { authConfig } from '../config/auth.config';
import { MemoryWindowCounters } from '../common/throttling/memory-window-counters';
import { TooManyLoginAttemptsError } from './auth.errors';
import { LoginAttemptsService } from './login-attempts.service';

const WINDOW_SECONDS = 900;
const MAX = 3;
const MAX_PER_IP = 5;
const T0 = Date.UTC(2025, 0, 1);

function makeService(): LoginAttemptsService {
  const config: ConfigType<typeof authConfig> = {
    jwtKey: createSecretKey(Buffer.from('unused')),
    jwtSecretGenerated: false,
    accessTtlSeconds: 900,
    refreshTtlSeconds: 3600,
    loginMaxFailures: MAX,
    loginMaxFailuresPerIp: MAX_PER_IP,
    dataEncryptionKey: null,
    loginFailureWindowSeconds: WINDOW_SECONDS,
    authFailuresPerMinute: 30,
    registrationsPerHour: 10,
    passwordHashQueue: 32,
    allowRegistration: true,
    passwordResetTtlSeconds: 1800,
    passwordResetMaxPerEmail: 5,
    passwordResetMaxPerIp: 20,
  };
  return new LoginAttemptsService(config, new MemoryWindowCounters());
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('LoginAttemptsService', () => {
  let attempts: LoginAttemptsService;

  beforeEach(() => {
    attempts = makeService();
  });

  /** Attempts that are counted as failures (recordAttempt counts each one until its outcome is known). */
  const fail = async (times: number, email = 'ada@example.com', ip = '10.0.0.1', at = T0) => {
    for (let i = 0; i < times; i++) await attempts.recordAttempt(email, ip, at + i * 1000);
  };
  const attempt = (now: number, email = 'ada@example.com', ip = '10.0.0.1') => attempts.recordAttempt(email, ip, now);

  it('allows sign-ins below the limit', async () => {
    await fail(MAX - 1);
    await expect(attempt(T0 + 10_000)).resolves.toBeUndefined();
  });

  it('refuses once the limit is reached, with Retry-After until the oldest failure leaves the window', async () => {
    await fail(MAX); // at T0, T0+1s, T0+2s

    const error = await caught(attempt(T0 + 60_000));

    expect(error).toBeInstanceOf(TooManyLoginAttemptsError);
    expect((error as TooManyLoginAttemptsError).code).toBe('TOO_MANY_LOGIN_ATTEMPTS');
    expect((error as TooManyLoginAttemptsError).retryAfterSeconds).toBe(WINDOW_SECONDS - 60);
  });

  it('rounds Retry-After up and never answers less than 1 second', async () => {
    await fail(MAX);
    const almostOver = T0 + WINDOW_SECONDS * 1000 - 1;
    const error = await caught(attempt(almostOver));
    expect((error as TooManyLoginAttemptsError).retryAfterSeconds).toBe(1);

    // 897.5 seconds left: a client told 897 would come back too early.
    const early = await caught(attempt(T0 + 2500));
    expect((early as TooManyLoginAttemptsError).retryAfterSeconds).toBe(WINDOW_SECONDS - 2);
  });

  it('slides the window: failures older than 15 minutes no longer count', async () => {
    await fail(MAX); // at T0, T0+1s, T0+2s
    await expect(attempt(T0 + WINDOW_SECONDS * 1000 - 1)).rejects.toThrow(TooManyLoginAttemptsError);
    // The first failure has left the window; two remain, and this attempt makes three.
    await expect(attempt(T0 + WINDOW_SECONDS * 1000)).resolves.toBeUndefined();
    await expect(attempt(T0 + WINDOW_SECONDS * 1000 + 1)).rejects.toThrow(TooManyLoginAttemptsError);
  });

  it('counts per email and IP: another email or another IP is unaffected', async () => {
    await fail(MAX);
    const now = T0 + 10_000;
    await expect(attempt(now)).rejects.toThrow(TooManyLoginAttemptsError);
    await expect(attempt(now, 'grace@example.com')).resolves.toBeUndefined();
    await expect(attempt(now, 'ada@example.com', '10.0.0.2')).resolves.toBeUndefined();
  });

  it('ignores the case and surrounding spaces of the email', async () => {
    await attempt(T0, 'Ada@Example.com');
    await attempt(T0 + 1, ' ada@example.com ');
    await attempt(T0 + 2, 'ADA@EXAMPLE.COM');
    await expect(attempt(T0 + 3)).rejects.toThrow(TooManyLoginAttemptsError);
  });

  it('refuses an IP that has failed too often over many emails, and lets it try again after the window', async () => {
    for (let i = 0; i < MAX_PER_IP; i++) await attempt(T0 + i, `user${i}@example.com`);

    const error = await caught(attempt(T0 + 60_000, 'someone-new@example.com'));

    expect(error).toBeInstanceOf(TooManyLoginAttemptsError);
    expect((error as TooManyLoginAttemptsError).retryAfterSeconds).toBe(WINDOW_SECONDS - 60);
    await expect(attempt(T0 + 60_000, 'someone-new@example.com', '10.0.0.2')).resolves.toBeUndefined();
    await expect(attempt(T0 + WINDOW_SECONDS * 1000, 'someone-new@example.com')).resolves.toBeUndefined();
  });

  it('does not count an attempt the IP limit refused against its email', async () => {
    for (let i = 0; i < MAX_PER_IP; i++) await attempt(T0 + i, `user${i}@example.com`);
    for (let i = 0; i < MAX; i++) await expect(attempt(T0 + 10 + i)).rejects.toThrow(TooManyLoginAttemptsError);

    // The IP's window has ended; had they counted, those attempts would still be in the email's window.
    await expect(attempt(T0 + WINDOW_SECONDS * 1000 + 5)).resolves.toBeUndefined();
  });

  it('does not count a successful sign-in against the IP', async () => {
    for (let i = 0; i < MAX_PER_IP * 2; i++) {
      await attempt(T0 + i, `user${i}@example.com`);
      await attempts.recordSuccess(`user${i}@example.com`, '10.0.0.1', T0 + i);
    }

    await expect(attempt(T0 + 100)).resolves.toBeUndefined();
  });

  it('takes back a failure whose password was never checked', async () => {
    await fail(MAX - 1);
    await attempt(T0 + 10_000);

    await attempts.withdrawFailure('ada@example.com', '10.0.0.1', T0 + 10_001);

    await expect(attempt(T0 + 10_002)).resolves.toBeUndefined();
  });

  it('clears the count for that email and IP after a successful sign-in', async () => {
    await fail(MAX, 'ada@example.com', '10.0.0.1');
    await fail(MAX, 'ada@example.com', '10.0.0.2');

    await attempts.recordSuccess('ada@example.com', '10.0.0.1', T0 + 5_000);

    await expect(attempt(T0 + 10_000)).resolves.toBeUndefined();
    await expect(attempt(T0 + 10_000, 'ada@example.com', '10.0.0.2')).rejects.toThrow(TooManyLoginAttemptsError);
  });
});
