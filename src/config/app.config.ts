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
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  docsEnabled: boolean;
  logLevel: string;
  /** How long running requests (streamed answers) may finish after SIGTERM before they are cut. */
  shutdownGraceMs: number;
  /** Redis shared by several processes (generations, counters); null: one process, nothing shared. */
  redisUrl: string | null;
  /** What every Redis key of this deployment starts with: deployments sharing one Redis keep apart. */
  redisKeyPrefix: string;
  /** The address people open, without a trailing slash: links in mails point here. */
  publicUrl: string;
  /** Bearer token that opens GET /metrics; null: /metrics is off (404) and no process metrics are collected. */
  metricsToken: string | null;
  /** Audit events older than this are deleted. */
  auditRetentionDays: number;
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
    requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
    headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
    keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    docsEnabled: env.DOCS_ENABLED,
    logLevel: env.LOG_LEVEL,
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    redisUrl: env.REDIS_URL ?? null,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
    metricsToken: env.METRICS_TOKEN ?? null,
    auditRetentionDays: env.AUDIT_RETENTION_DAYS,
  };
});
