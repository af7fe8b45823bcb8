import type { ErrorCode } from './error-codes';

/** Base of every domain error: services throw these, and the global filter turns the code into a status. */
export abstract class AppError extends Error {
  abstract readonly code: ErrorCode;
  /** Seconds a client should wait before trying again; sent as `Retry-After`. */
  retryAfterSeconds?: number;
  /** Fields the error body carries beside statusCode, error, message and code (e.g. a quota's limit and use). */
  fields?: Record<string, string | number | null>;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidCursorError extends AppError {
  readonly code = 'INVALID_CURSOR';
  constructor() {
    super('cursor is not valid for this list');
  }
}

/** A time or date range that runs backwards (from after to), or is wider than the route allows. */
export class InvalidDateRangeError extends AppError {
  readonly code = 'INVALID_DATE_RANGE';
}

/** A path that cannot be decoded (a % not followed by two hexadecimal digits), refused before any route runs. */
export class MalformedUrlError extends AppError {
  readonly code = 'BAD_REQUEST';
  constructor() {
    super("the URL's path is not valid: a % must be followed by two hexadecimal digits");
  }
}

/** A part of the path (an id, a model's name) longer than the router accepts. */
export class UriTooLongError extends AppError {
  readonly code = 'URI_TOO_LONG';
  constructor(maxLength: number) {
    super(`a part of the URL's path is longer than ${maxLength} characters`);
  }
}

/** A body, query or route parameter whose text cannot be stored the same way on every database, or at all. */
export class InvalidTextError extends AppError {
  readonly code = 'INVALID_TEXT';
}

export class JsonTooDeepError extends AppError {
  readonly code = 'JSON_TOO_DEEP';
  constructor(maxDepth: number) {
    super(`request body nests arrays and objects deeper than ${maxDepth} levels`);
  }
}

export class TooManyFieldsError extends AppError {
  readonly code = 'TOO_MANY_FIELDS';
  constructor(path: string, maxMembers: number) {
    super(`${path} has more than ${maxMembers} fields`);
  }
}

/** The caller's request budget (RATE_LIMIT_PER_MINUTE) is spent; where the rate limiter itself did not count. */
export class RateLimitedError extends AppError {
  readonly code = 'RATE_LIMITED';
  constructor(retryAfterSeconds: number) {
    super(`too many requests; try again in ${retryAfterSeconds} seconds`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A request that arrived after the shutdown began; another process (or this one, restarted) will take it. */
export class DrainingError extends AppError {
  readonly code = 'SHUTTING_DOWN';
  constructor() {
    super('the server is shutting down; try again');
    this.retryAfterSeconds = 1;
  }
}

/** Work the server stopped because it is shutting down; another process (or this one, restarted) will take it. */
export class ShuttingDownError extends AppError {
  readonly code = 'SERVICE_UNAVAILABLE';
  constructor(what: string) {
    super(`the server is shutting down and stopped ${what}; try again`);
    this.retryAfterSeconds = 1;
  }
}

/** Too much work of one kind is already waiting; taking more would only make every caller wait longer. */
export class ServerBusyError extends AppError {
  readonly code = 'SERVER_BUSY';
  constructor(retryAfterSeconds: number) {
    super(`the server is busy; try again in ${retryAfterSeconds} seconds`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A body in a form or as plain text: the API takes JSON (and uploads as multipart). */
export class UnsupportedMediaTypeError extends AppError {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
  constructor(type: string) {
    super(`a body of type ${type} is not accepted: send JSON (Content-Type: application/json)`);
  }
}
