import { registerAs } from '@nestjs/config';
import { createSecretKey, KeyObject, randomBytes } from 'node:crypto';
import { durationToSeconds } from './duration';
import { validateEnv } from './env.validation';

export interface AuthConfig {
  /**
   * The HS256 key as a KeyObject: jsonwebtoken turns a string secret into one on every verify, which measured
   * about 50 times slower (2,400 against 127,000 verifications/s here), so it is made once.
   */
  jwtKey: KeyObject;
  /** True when no JWT_SECRET was given and a random one was made for this process. */
  jwtSecretGenerated: boolean;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  /** Failed sign-ins for one email from one IP, per window. */
  loginMaxFailures: number;
  /** Failed sign-ins from one IP, whatever the email, per window. */
  loginMaxFailuresPerIp: number;
  loginFailureWindowSeconds: number;
  /** Refused access tokens, API keys and refresh tokens from one IP per minute. */
  authFailuresPerMinute: number;
  registrationsPerHour: number;
  /** Password hashes that may wait for a free slot; more are refused as busy. */
  passwordHashQueue: number;
  /** Whether people may make their own accounts (POST /auth/register); admins always can. */
  allowRegistration: boolean;
  passwordResetTtlSeconds: number;
  /** Password-reset requests per hour for one email, known or not, and from one IP. */
  passwordResetMaxPerEmail: number;
  passwordResetMaxPerIp: number;
  /** AES-256-GCM key for two-factor secrets; null when DATA_ENCRYPTION_KEY is not set. */
  dataEncryptionKey: Buffer | null;
}

export const authConfig = registerAs('auth', (): AuthConfig => {
  const env = validateEnv(process.env);
  // Production refuses to start without a secret (see env.validation); elsewhere a per-process secret keeps
  // a fresh checkout runnable, at the price of tokens not surviving a restart.
  return {
    jwtKey: createSecretKey(env.JWT_SECRET ? Buffer.from(env.JWT_SECRET, 'utf8') : randomBytes(48)),
    jwtSecretGenerated: env.JWT_SECRET === undefined,
    accessTtlSeconds: durationToSeconds(env.JWT_ACCESS_TTL),
    refreshTtlSeconds: durationToSeconds(env.REFRESH_TTL),
    loginMaxFailures: env.LOGIN_MAX_FAILURES,
    loginMaxFailuresPerIp: env.LOGIN_MAX_FAILURES_PER_IP,
    loginFailureWindowSeconds: 15 * 60,
    authFailuresPerMinute: env.AUTH_FAILURES_PER_MINUTE,
    registrationsPerHour: env.REGISTRATIONS_PER_HOUR,
    passwordHashQueue: env.PASSWORD_HASH_QUEUE,
    allowRegistration: env.ALLOW_REGISTRATION,
    passwordResetTtlSeconds: durationToSeconds(env.PASSWORD_RESET_TTL),
    passwordResetMaxPerEmail: env.PASSWORD_RESET_MAX_PER_EMAIL,
    passwordResetMaxPerIp: env.PASSWORD_RESET_MAX_PER_IP,
    dataEncryptionKey: env.DATA_ENCRYPTION_KEY
      ? Buffer.from(env.DATA_ENCRYPTION_KEY, env.DATA_ENCRYPTION_KEY.length === 64 ? 'hex' : 'base64')
      : null,
  };
});
