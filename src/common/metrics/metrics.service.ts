import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { appConfig } from '../../config/app.config';
import { AppError } from '../errors/app.error';

/** How a sign-in attempt ended, as counted; never who tried. */
export type SignInOutcome = 'success' | 'mfa_required' | 'failure' | 'throttled' | 'disabled' | 'refused';
/** Which step or way of signing in. */
export type SignInMethod = 'password' | 'mfa' | 'provider';

/** A refused sign-in's outcome, from its error's code. */
export function signInOutcomeOf(error: unknown): SignInOutcome {
  const code = error instanceof AppError ? error.code : undefined;
  if (code === 'TOO_MANY_LOGIN_ATTEMPTS') return 'throttled';
  if (code === 'ACCOUNT_DISABLED') return 'disabled';
  // Turned away before any secret was checked (the server was busy hashing): not a failed guess.
  if (code === 'SERVER_BUSY') return 'refused';
  return 'failure';
}

/** Seconds: from a fast local model's first token to a slow answer's whole stream. */
const MODEL_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** Seconds: API answers, most within milliseconds; streamed answers are in the model series too. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60];

/**
 * The server's Prometheus series. Labels hold only bounded, non-personal values: route templates (never raw URLs),
 * methods, statuses, configured provider and model ids, outcomes. Never a user id, an email, a key or a token.
 * Each app has its own registry (tests run several apps in one process); Node's process metrics are collected
 * only when /metrics is on.
 */
@Injectable()
export class MetricsService {
  readonly enabled: boolean;
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: 'colloquy_http_request_duration_seconds',
    help: 'HTTP requests by route template, method and status, from the request to the end of the response',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });

  readonly modelRequests = new Counter({
    name: 'colloquy_model_requests_total',
    help: 'Model calls by provider, model and outcome (complete, cancelled, error)',
    labelNames: ['provider', 'model', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly timeToFirstToken = new Histogram({
    name: 'colloquy_model_time_to_first_token_seconds',
    help: 'From the start of a model call to its first text',
    labelNames: ['provider', 'model'] as const,
    buckets: MODEL_BUCKETS,
    registers: [this.registry],
  });

  readonly streamDuration = new Histogram({
    name: 'colloquy_model_stream_duration_seconds',
    help: 'From the start of a model call to its end, by outcome',
    labelNames: ['provider', 'model', 'outcome'] as const,
    buckets: MODEL_BUCKETS,
    registers: [this.registry],
  });

  readonly modelTokens = new Counter({
    name: 'colloquy_model_tokens_total',
    help: 'Tokens the providers reported, by kind (prompt, completion)',
    labelNames: ['provider', 'model', 'kind'] as const,
    registers: [this.registry],
  });

  readonly modelRetries = new Counter({
    name: 'colloquy_model_retries_total',
    help: 'Model calls made again after failing before their first byte, by provider and model',
    labelNames: ['provider', 'model'] as const,
    registers: [this.registry],
  });

  readonly modelFallbacks = new Counter({
    name: 'colloquy_model_fallbacks_total',
    help: 'Calls handed to a fallback model (MODEL_FALLBACKS) because the requested one could not answer',
    labelNames: ['from', 'to'] as const,
    registers: [this.registry],
  });

  readonly providerCooldowns = new Counter({
    name: 'colloquy_provider_cooldowns_total',
    help: 'Cool-downs started after a provider failed call after call, by provider',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  /** Read when scraped; the generations' owner says how to count them (trackActiveGenerations). */
  private countActiveGenerations: () => number = () => 0;

  readonly activeGenerations = (() => {
    const count = () => this.countActiveGenerations();
    return new Gauge({
      name: 'colloquy_active_generations',
      help: 'Answers this process is generating now',
      registers: [this.registry],
      collect() {
        this.set(count());
      },
    });
  })();

  /** Read when scraped, from the shared outbox; the mailer says how (trackPendingMail). */
  private countPendingMail: () => Promise<number> = () => Promise.resolve(0);

  readonly pendingMail = (() => {
    const count = () => this.countPendingMail();
    return new Gauge({
      name: 'colloquy_mail_pending',
      help: 'Mails in the outbox not yet accepted by the mail server (shared by every process on the database)',
      registers: [this.registry],
      // A database that fails or hangs must not take every other series of the scrape with it: the gauge then
      // keeps its last value, and the scrape goes on after a second at most.
      async collect() {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 1_000)));
        const value = await Promise.race([count().catch(() => null), late]);
        clearTimeout(timer);
        if (value !== null) this.set(value);
      },
    });
  })();

  readonly signIns = new Counter({
    name: 'colloquy_sign_ins_total',
    help: 'Sign-in attempts by method (password, mfa, provider) and outcome',
    labelNames: ['method', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly quotaRefusals = new Counter({
    name: 'colloquy_quota_refusals_total',
    help: 'Model calls refused because they would pass a quota, by the window of the quota (day, month)',
    labelNames: ['window'] as const,
    registers: [this.registry],
  });

  constructor(@Inject(appConfig.KEY) config: ConfigType<typeof appConfig>) {
    this.enabled = config.metricsToken !== null;
    if (this.enabled) collectDefaultMetrics({ register: this.registry });
  }

  trackActiveGenerations(count: () => number): void {
    this.countActiveGenerations = count;
  }

  trackPendingMail(count: () => Promise<number>): void {
    this.countPendingMail = count;
  }

  signIn(method: SignInMethod, outcome: SignInOutcome): void {
    this.signIns.inc({ method, outcome });
  }
}
