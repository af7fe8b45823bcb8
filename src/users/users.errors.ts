import { AppError } from '../common/errors/app.error';

export class EmailTakenError extends AppError {
  readonly code = 'EMAIL_TAKEN';
  constructor() {
    super('an account with this email already exists');
  }
}

export class UserNotFoundError extends AppError {
  readonly code = 'USER_NOT_FOUND';
  constructor() {
    super('user not found');
  }
}

export class WrongPasswordError extends AppError {
  readonly code = 'INVALID_CREDENTIALS';
  constructor() {
    super('password is not correct');
  }
}

export class CannotChangeOwnAccessError extends AppError {
  readonly code = 'CANNOT_CHANGE_OWN_ACCESS';
  constructor() {
    super('admins cannot disable themselves or remove their own admin role');
  }
}

/** Deleting, disabling or demoting the only enabled admin would leave nobody to run the server. */
export class LastAdminError extends AppError {
  readonly code = 'LAST_ADMIN';
  constructor() {
    super('this is the only admin: make another account an admin first');
  }
}

export class TooManyPasswordAttemptsError extends AppError {
  readonly code = 'TOO_MANY_PASSWORD_ATTEMPTS';
  constructor(retryAfterSeconds: number) {
    super(`too many wrong passwords; try again in ${retryAfterSeconds} seconds`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** An account made by a sign-in with another provider has no password to check until its owner sets one. */
export class PasswordNotSetError extends AppError {
  readonly code = 'PASSWORD_NOT_SET';
  constructor() {
    super('this account has no password; set one with "forgot password" (POST /auth/password/forgot) first');
  }
}
