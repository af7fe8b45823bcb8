import { createSecretKey } from 'node:crypto';
import type { ConfigType } from '@nestjs/config';
import type { authConfig } from '../config/auth.config';
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
    loginFailureWindowSeconds: WINDOW_SECONDS,
    authFailuresPerMinute: 30,
    registrationsPerHour: 10,
    passwordHashQueue: 32,
  };
  return new LoginAttemptsService(config);
}

function caught(fn: () => void): unknown {
  try {
    fn();
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

  const fail = (times: number, email = 'ada@example.com', ip = '10.0.0.1', at = T0) => {
    for (let i = 0; i < times; i++) attempts.recordFailure(email, ip, at + i * 1000);
  };

  it('allows sign-ins below the limit', () => {
    fail(MAX - 1);
    expect(() => attempts.assertAllowed('ada@example.com', '10.0.0.1', T0 + 10_000)).not.toThrow();
  });

  it('refuses once the limit is reached, with Retry-After until the oldest failure leaves the window', () => {
    fail(MAX); // at T0, T0+1s, T0+2s
    const now = T0 + 60_000;

    const error = caught(() => attempts.assertAllowed('ada@example.com', '10.0.0.1', now));

    expect(error).toBeInstanceOf(TooManyLoginAttemptsError);
    expect((error as TooManyLoginAttemptsError).code).toBe('TOO_MANY_LOGIN_ATTEMPTS');
    expect((error as TooManyLoginAttemptsError).retryAfterSeconds).toBe(WINDOW_SECONDS - 60);
  });

  it('rounds Retry-After up and never answers less than 1 second', () => {
    fail(MAX);
    const almostOver = T0 + WINDOW_SECONDS * 1000 - 1;
    const error = caught(() => attempts.assertAllowed('ada@example.com', '10.0.0.1', almostOver));
    expect((error as TooManyLoginAttemptsError).retryAfterSeconds).toBe(1);

    // 897.5 seconds left: a client told 897 would come back too early.
    const early = caught(() => attempts.assertAllowed('ada@example.com', '10.0.0.1', T0 + 2500));
    expect((early as TooManyLoginAttemptsError).retryAfterSeconds).toBe(WINDOW_SECONDS - 2);
  });

  it('slides the window: failures older than 15 minutes no longer count', () => {
    fail(MAX); // at T0, T0+1s, T0+2s
    expect(() => attempts.assertAllowed('ada@example.com', '10.0.0.1', T0 + WINDOW_SECONDS * 1000 - 1)).toThrow(
      TooManyLoginAttemptsError,
    );
    // The first failure has left the window; two remain.
    expect(() => attempts.assertAllowed('ada@example.com', '10.0.0.1', T0 + WINDOW_SECONDS * 1000)).not.toThrow();
    // One more failure now brings it back to the limit.
    attempts.recordFailure('ada@example.com', '10.0.0.1', T0 + WINDOW_SECONDS * 1000);
    expect(() => attempts.assertAllowed('ada@example.com', '10.0.0.1', T0 + WINDOW_SECONDS * 1000 + 1)).toThrow(
      TooManyLoginAttemptsError,
    );
  });

  it('counts per email and IP: another email or another IP is unaffected', () => {
    fail(MAX);
    const now = T0 + 10_000;
    expect(() => attempts.assertAllowed('ada@example.com', '10.0.0.1', now)).toThrow(TooManyLoginAttemptsError);
    expect(() => attempts.assertAllowed('grace@example.com', '10.0.0.1', now)).not.toThrow();
    expect(() => attempts.assertAllowed('ada@example.com', '10.0.0.2', now)).not.toThrow();
  });

  it('ignores the case and surrounding spaces of the email', () => {
    attempts.recordFailure('Ada@Example.com', '10.0.0.1', T0);
    attempts.recordFailure(' ada@example.com ', '10.0.0.1', T0 + 1);
    attempts.recordFailure('ADA@EXAMPLE.COM', '10.0.0.1', T0 + 2);
    expect(() => attempts.assertAllowed('ada@example.com', '10.0.0.1', T0 + 3)).toThrow(TooManyLoginAttemptsError);
  });

  it('refuses an IP that has failed too often over many emails, and lets it try again after the window', () => {
    for (let i = 0; i < MAX_PER_IP; i++) attempts.recordFailure(`user${i}@example.com`, '10.0.0.1', T0 + i);

    const error = caught(() => attempts.assertAllowed('someone-new@example.com', '10.0.0.1', T0 + 60_000));

    expect(error).toBeInstanceOf(TooManyLoginAttemptsError);
    expect((error as TooManyLoginAttemptsError).retryAfterSeconds).toBe(WINDOW_SECONDS - 60);
    expect(() => attempts.assertAllowed('someone-new@example.com', '10.0.0.2', T0 + 60_000)).not.toThrow();
    expect(() =>
      attempts.assertAllowed('someone-new@example.com', '10.0.0.1', T0 + WINDOW_SECONDS * 1000),
    ).not.toThrow();
  });

  it('does not count a successful sign-in against the IP', () => {
    for (let i = 0; i < MAX_PER_IP * 2; i++) {
      attempts.recordFailure(`user${i}@example.com`, '10.0.0.1', T0 + i);
      attempts.recordSuccess(`user${i}@example.com`, '10.0.0.1', T0 + i);
    }

    expect(() => attempts.assertAllowed('ada@example.com', '10.0.0.1', T0 + 100)).not.toThrow();
  });

  it('takes back a failure whose password was never checked', () => {
    fail(MAX - 1);
    attempts.recordFailure('ada@example.com', '10.0.0.1', T0 + 10_000);

    attempts.withdrawFailure('ada@example.com', '10.0.0.1', T0 + 10_001);

    expect(() => attempts.assertAllowed('ada@example.com', '10.0.0.1', T0 + 10_002)).not.toThrow();
  });

  it('clears the count for that email and IP after a successful sign-in', () => {
    fail(MAX, 'ada@example.com', '10.0.0.1');
    fail(MAX, 'ada@example.com', '10.0.0.2');

    attempts.recordSuccess('ada@example.com', '10.0.0.1');

    expect(() => attempts.assertAllowed('ada@example.com', '10.0.0.1', T0 + 10_000)).not.toThrow();
    expect(() => attempts.assertAllowed('ada@example.com', '10.0.0.2', T0 + 10_000)).toThrow(TooManyLoginAttemptsError);
  });
});
