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
    resetsAt: Date,
    retryAfterSeconds: number,
  ) {
    super(
      `your ${window === 'day' ? 'daily' : 'monthly'} quota of ${limit} ${kind} is used up ` +
        `(${used} used); it resets at ${resetsAt.toISOString()}`,
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
