import { AppError } from '../common/errors/app.error';

export class InvalidCredentialsError extends AppError {
  readonly code = 'INVALID_CREDENTIALS';
  constructor() {
    // One message for an unknown email and a wrong password, so sign-in does not reveal who has an account.
    super('email or password is not correct');
  }
}

export class AccountDisabledError extends AppError {
  readonly code = 'ACCOUNT_DISABLED';
  constructor() {
    super('this account is disabled');
  }
}

export class InvalidRefreshTokenError extends AppError {
  readonly code = 'INVALID_REFRESH_TOKEN';
  constructor() {
    super('refresh token is invalid, expired or revoked');
  }
}

export class RefreshTokenReusedError extends AppError {
  readonly code = 'REFRESH_TOKEN_REUSED';
  constructor() {
    super('refresh token was already used; this login has been signed out everywhere');
  }
}

export class TooManyLoginAttemptsError extends AppError {
  readonly code = 'TOO_MANY_LOGIN_ATTEMPTS';
  constructor(retryAfterSeconds: number) {
    super(`too many failed sign-ins; try again in ${retryAfterSeconds} seconds`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class TooManyAuthFailuresError extends AppError {
  readonly code = 'TOO_MANY_AUTH_FAILURES';
  constructor(retryAfterSeconds: number) {
    super(`too many refused credentials from this address; try again in ${retryAfterSeconds} seconds`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class TooManyRegistrationsError extends AppError {
  readonly code = 'TOO_MANY_REGISTRATIONS';
  constructor(retryAfterSeconds: number) {
    super(`too many accounts made from this address; try again in ${retryAfterSeconds} seconds`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
