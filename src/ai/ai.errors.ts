import { AppError } from '../common/errors/app.error';

export class UnknownModelError extends AppError {
  readonly code = 'UNKNOWN_MODEL';
  constructor(model: string) {
    super(`model "${model}" is not available; GET /ai/models lists the ones that are`);
  }
}

export type AiProviderErrorCode =
  'UPSTREAM_RATE_LIMITED' | 'UPSTREAM_UNAVAILABLE' | 'UPSTREAM_ERROR' | 'UPSTREAM_TIMEOUT';

/**
 * A model provider failed. The message is safe to show a client: adapters write it from the vendor's status
 * and error type, never with a key, a URL with credentials, or a raw response dump.
 */
export class AiProviderError extends AppError {
  constructor(
    readonly code: AiProviderErrorCode,
    message: string,
    retryAfterSeconds?: number,
  ) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
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
