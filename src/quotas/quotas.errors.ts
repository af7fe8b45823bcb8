import { AppError } from '../common/errors/app.error';
import type { QuotaWindow } from './quota-window';

/** A model call would take the caller past a limit: told what the limit is, what is used, and when it resets. */
export class QuotaExceededError extends AppError {
  readonly code = 'QUOTA_EXCEEDED';

  constructor(
    window: QuotaWindow,
    kind: 'requests' | 'tokens',
    limit: number,
    used: number,
    /** What the call would have added: 1 request, or the tokens it may use (its prompt and its longest answer). */
    asked: number,
    resetsAt: Date,
    retryAfterSeconds: number,
  ) {
    const quota = `your ${window === 'day' ? 'daily' : 'monthly'} quota of ${limit} ${kind}`;
    const resets = `it resets at ${resetsAt.toISOString()}`;
    super(
      // Tokens left, but fewer than the call may use: "used up" would be untrue, and the fix is a smaller answer.
      kind === 'tokens' && used < limit
        ? `this call may use up to ${asked} tokens (its prompt and its longest answer), more than the ` +
            `${limit - used} left of ${quota} (${used} used): ask for fewer output tokens, or wait; ${resets}`
        : `${quota} is used up (${used} used); ${resets}`,
    );
    this.retryAfterSeconds = retryAfterSeconds;
    this.fields = { limit, used, resetsAt: resetsAt.toISOString() };
  }
}

export class QuotaNotFoundError extends AppError {
  readonly code = 'QUOTA_NOT_FOUND';
  constructor() {
    super('quota not found');
  }
}

export class QuotaExistsError extends AppError {
  readonly code = 'QUOTA_EXISTS';
  constructor() {
    super('a quota with this scope, user, model and window exists already; delete it first');
  }
}

/** A request that breaks a rule between fields, which the DTO's per-field checks cannot see. */
export class InvalidQuotaError extends AppError {
  readonly code = 'VALIDATION_FAILED';
}
