import { Logger } from '@nestjs/common';
import { registerAs } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { durationToSeconds } from './duration';
import { validateEnv } from './env.validation';

export interface AuthConfig {
  jwtSecret: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  loginMaxFailures: number;
  loginFailureWindowSeconds: number;
}

export const authConfig = registerAs('auth', (): AuthConfig => {
  const env = validateEnv(process.env);
  let jwtSecret = env.JWT_SECRET;
  if (!jwtSecret) {
    // Production refuses to start without a secret (see env.validation); elsewhere a per-process secret keeps
    // a fresh checkout runnable, at the price of tokens not surviving a restart.
    jwtSecret = randomBytes(48).toString('base64url');
    new Logger('Config').warn(
      'JWT_SECRET is not set: using a random secret; tokens stop working when the server restarts',
    );
  }
  return {
    jwtSecret,
    accessTtlSeconds: durationToSeconds(env.JWT_ACCESS_TTL),
    refreshTtlSeconds: durationToSeconds(env.REFRESH_TTL),
    loginMaxFailures: env.LOGIN_MAX_FAILURES,
    loginFailureWindowSeconds: 15 * 60,
  };
});
