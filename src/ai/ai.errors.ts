import { AppError } from '../common/errors/app.error';

/** The route an unknown model's message points to; the OpenAI-compatible API points to its own list instead. */
export const MODEL_LIST_ROUTE = 'GET /ai/models';

export class UnknownModelError extends AppError {
  readonly code = 'UNKNOWN_MODEL';
  constructor(model: string) {
    super(`model "${model}" is not available; ${MODEL_LIST_ROUTE} lists the ones that are`);
  }
}

export type AiProviderErrorCode =
  | 'UPSTREAM_RATE_LIMITED'
  | 'UPSTREAM_UNAVAILABLE'
  | 'UPSTREAM_ERROR'
  | 'UPSTREAM_TIMEOUT'
  /** The provider refused the request itself (HTTP 400, 404, 413, 422): e.g. images to a model without vision. */
  | 'UPSTREAM_REJECTED';

/** What the runner may do about a failure besides reporting it. */
export interface AiProviderErrorOptions {
  /**
   * Whether the same call may succeed if made again (rate limited, overloaded, a 5xx, unreachable, silent): the
   * runner retries it, when nothing of the answer has gone out yet, and counts it towards a provider's cool-down.
   * By default true for UPSTREAM_RATE_LIMITED, UPSTREAM_UNAVAILABLE and UPSTREAM_TIMEOUT.
   */
  retryable?: boolean;
  /** The vendor's HTTP status, when it answered one. */
  upstreamStatus?: number;
}

/**
 * A model provider failed. The message is safe to show a client: adapters write it from the vendor's status
 * and error type, never with a key, a URL with credentials, or a raw response dump.
 */
export class AiProviderError extends AppError {
  readonly retryable: boolean;
  readonly upstreamStatus?: number;

  constructor(
    readonly code: AiProviderErrorCode,
    message: string,
    retryAfterSeconds?: number,
    options: AiProviderErrorOptions = {},
  ) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
    this.retryable = options.retryable ?? (code !== 'UPSTREAM_ERROR' && code !== 'UPSTREAM_REJECTED');
    this.upstreamStatus = options.upstreamStatus;
  }
}

/**
 * The caller aborted a model call (a cancel, a /v1 client that went away, or the shutdown). Deliberately not an AppError: it is not a failure
 * to report, and callers recognise it by its name, like the platform's own AbortError.
 */
export class AbortError extends Error {
  constructor(message = 'the model call was aborted') {
    super(message);
    this.name = 'AbortError';
  }
}
