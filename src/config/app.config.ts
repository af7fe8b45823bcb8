import { registerAs } from '@nestjs/config';
import { validateEnv } from './env.validation';

export interface AppConfig {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  corsOrigins: string[];
  rateLimitPerMinute: number;
  trustProxy: number;
  bodyLimitBytes: number;
  logLevel: string;
  /** How long running requests (streamed answers) may finish after SIGTERM before they are cut. */
  shutdownGraceMs: number;
}

export const appConfig = registerAs('app', (): AppConfig => {
  const env = validateEnv(process.env);
  return {
    env: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    corsOrigins: (env.CORS_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    trustProxy: env.TRUST_PROXY,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    logLevel: env.LOG_LEVEL,
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
  };
});
