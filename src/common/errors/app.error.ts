import type { ErrorCode } from './error-codes';

/** Base of every domain error: services throw these, and the global filter turns the code into a status. */
export abstract class AppError extends Error {
  abstract readonly code: ErrorCode;
  /** Seconds a client should wait before trying again; sent as `Retry-After`. */
  retryAfterSeconds?: number;

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
