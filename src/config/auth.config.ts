import { registerAs } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { durationToSeconds } from './duration';
import { validateEnv } from './env.validation';

export interface AuthConfig {
  jwtSecret: string;
  /** True when no JWT_SECRET was given and a random one was made for this process. */
  jwtSecretGenerated: boolean;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  loginMaxFailures: number;
  loginFailureWindowSeconds: number;
}

export const authConfig = registerAs('auth', (): AuthConfig => {
  const env = validateEnv(process.env);
  // Production refuses to start without a secret (see env.validation); elsewhere a per-process secret keeps
  // a fresh checkout runnable, at the price of tokens not surviving a restart.
  return {
    jwtSecret: env.JWT_SECRET ?? randomBytes(48).toString('base64url'),
    jwtSecretGenerated: env.JWT_SECRET === undefined,
    accessTtlSeconds: durationToSeconds(env.JWT_ACCESS_TTL),
    refreshTtlSeconds: durationToSeconds(env.REFRESH_TTL),
    loginMaxFailures: env.LOGIN_MAX_FAILURES,
    loginFailureWindowSeconds: 15 * 60,
  };
});
