import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectThrottlerStorage, ThrottlerStorage } from '@nestjs/throttler';
import { AppError, RateLimitedError } from '../common/errors/app.error';
import { ERROR_STATUS } from '../common/errors/error-codes';
import { addressGroup } from '../common/throttling/address-group';
import { clientTracker, REQUEST_BUDGET, requestBudgetKey } from '../common/throttling/request-budget';
import { WindowCounter, WindowCounters } from '../common/throttling/window-counters';
import { appConfig } from '../config/app.config';
import { authConfig } from '../config/auth.config';
import { TooManyAuthFailuresError } from './auth.errors';

const MINUTE_MS = 60_000;

/** Whether an error refuses the credential itself (401), as opposed to a limit, a busy server or a failure. */
export const isUnauthorized = (error: unknown) =>
  error instanceof AppError
    ? ERROR_STATUS[error.code] === HttpStatus.UNAUTHORIZED
    : error instanceof HttpException && error.getStatus() === HttpStatus.UNAUTHORIZED;

/**
 * Refused credentials (access tokens, API keys, refresh tokens) per client IP. Each one costs a verification
 * and usually a database lookup before it is refused, and the rate limiter counts a request by its user, which
 * a refused one has not got: so failures are counted here against the IP, in a budget of their own
 * (AUTH_FAILURES_PER_MINUTE), and an IP that has spent it is refused before its next credential is looked at.
 */
@Injectable()
export class AuthFailuresService {
  private readonly failures: WindowCounter;
  private readonly requestsPerMinute: number;

  constructor(
    @Inject(authConfig.KEY) auth: ConfigType<typeof authConfig>,
    @Inject(appConfig.KEY) app: ConfigType<typeof appConfig>,
    @InjectThrottlerStorage() private readonly requests: ThrottlerStorage,
    counters: WindowCounters,
  ) {
    this.failures = counters.create({ name: 'auth-failures', limit: auth.authFailuresPerMinute, windowMs: MINUTE_MS });
    this.requestsPerMinute = app.rateLimitPerMinute;
  }

  /**
   * Checks a credential the client presented: refuses at once (429) while this IP's failures are spent, and
   * counts a 401 from `check` against it.
   */
  async checkPresented<T>(ip: string, check: () => Promise<T>): Promise<T> {
    const network = addressGroup(ip);
    const retryAfter = await this.failures.retryAfterSeconds(network);
    if (retryAfter > 0) throw new TooManyAuthFailuresError(retryAfter);
    try {
      return await check();
    } catch (error) {
      if (isUnauthorized(error)) await this.failures.hit(network);
      throw error;
    }
  }

  /**
   * Counts a request that authentication refused against its IP's request budget (RATE_LIMIT_PER_MINUTE): the
   * authentication guards run before the rate limiter, which therefore never sees it. Throws 429 once spent.
   */
  async countRefusedRequest(ip: string): Promise<void> {
    const { isBlocked, timeToBlockExpire } = await this.requests.increment(
      requestBudgetKey(clientTracker(undefined, ip)),
      REQUEST_BUDGET.ttlMs,
      this.requestsPerMinute,
      REQUEST_BUDGET.ttlMs,
      REQUEST_BUDGET.name,
    );
    if (isBlocked) throw new RateLimitedError(Math.max(1, timeToBlockExpire));
  }
}
