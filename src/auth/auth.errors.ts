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

/** Missing, malformed, forged, or for an account that no longer exists: nothing to do but sign in. */
export class InvalidTokenError extends AppError {
  readonly code = 'INVALID_TOKEN';
}

/** A genuine access token past its lifetime: refresh and retry. */
export class AccessTokenExpiredError extends AppError {
  readonly code = 'TOKEN_EXPIRED';
  constructor() {
    super('access token has expired; refresh it and retry');
  }
}

/**
 * A genuine refresh token past its lifetime: the sign-in is over, so it is SESSION_REVOKED (sign in again), not
 * TOKEN_EXPIRED, which tells a client to refresh and retry.
 */
export class RefreshTokenExpiredError extends AppError {
  readonly code = 'SESSION_REVOKED';
  constructor() {
    super('this sign-in has expired (its refresh token is past its lifetime); sign in again');
  }
}

/** The sign-in this token belongs to was ended (signed out, or the password changed): sign in again. */
export class SessionRevokedError extends AppError {
  readonly code = 'SESSION_REVOKED';
  constructor() {
    super('this sign-in has ended; sign in again');
  }
}

/** A replayed refresh token ends the whole sign-in: SESSION_REVOKED, as the contract names it; the message says why. */
export class RefreshTokenReusedError extends AppError {
  readonly code = 'SESSION_REVOKED';
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

export class TooManyMfaCodesError extends AppError {
  readonly code = 'TOO_MANY_MFA_CODES';
  constructor(retryAfterSeconds: number) {
    super(`too many wrong two-factor codes; try again in ${retryAfterSeconds} seconds`);
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

export class SessionNotFoundError extends AppError {
  readonly code = 'SESSION_NOT_FOUND';
  constructor() {
    super('session not found');
  }
}

export class RegistrationClosedError extends AppError {
  readonly code = 'REGISTRATION_CLOSED';
  constructor() {
    super('this server does not take new sign-ups; ask an administrator for an account');
  }
}

/** One answer for a reset token that never existed, was used, or has expired: none of them tells anything. */
export class InvalidResetTokenError extends AppError {
  readonly code = 'INVALID_RESET_TOKEN';
  constructor() {
    super('this password-reset link is not valid (it may have been used or have expired); ask for a new one');
  }
}

export class TooManyPasswordResetsError extends AppError {
  readonly code = 'TOO_MANY_PASSWORD_RESETS';
  constructor(retryAfterSeconds: number) {
    super(`too many password-reset requests; try again in ${retryAfterSeconds} seconds`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class MfaUnavailableError extends AppError {
  readonly code = 'MFA_UNAVAILABLE';
  constructor(message = 'two-factor sign-in is not available on this server: DATA_ENCRYPTION_KEY is not set') {
    super(message);
  }
}

export class MfaAlreadyEnabledError extends AppError {
  readonly code = 'MFA_ALREADY_ENABLED';
  constructor() {
    super('two-factor sign-in is already on; turn it off first to set it up again');
  }
}

export class MfaNotEnabledError extends AppError {
  readonly code = 'MFA_NOT_ENABLED';
  constructor() {
    super('two-factor sign-in is not on');
  }
}

export class MfaSetupNotStartedError extends AppError {
  readonly code = 'MFA_SETUP_NOT_STARTED';
  constructor() {
    super('start the setup first (POST /auth/mfa/totp)');
  }
}

/** The first code of a setup was wrong: 400, as the contract has it, since nobody is being refused access. */
export class InvalidSetupCodeError extends AppError {
  readonly code = 'INVALID_SETUP_CODE';
  constructor() {
    super('the code is not correct; check the time on the device and try the current code');
  }
}

export class InvalidMfaCodeError extends AppError {
  readonly code = 'INVALID_MFA_CODE';
  constructor() {
    super('the code is not correct, or was already used');
  }
}

/**
 * One answer for an mfaToken that never existed, was used, has expired, or whose password check is stale: an
 * invalid token among the contract's 401 codes.
 */
export class InvalidMfaTokenError extends AppError {
  readonly code = 'INVALID_TOKEN';
  constructor() {
    super('this sign-in step has expired or was already used; sign in again with your password');
  }
}

export class SignInProviderNotFoundError extends AppError {
  readonly code = 'SIGN_IN_PROVIDER_NOT_FOUND';
  constructor() {
    super('no sign-in provider with this id is configured here (see GET /auth/providers)');
  }
}

export class IdentityNotFoundError extends AppError {
  readonly code = 'IDENTITY_NOT_FOUND';
  constructor() {
    super('identity not found');
  }
}

export class LastSignInMethodError extends AppError {
  readonly code = 'LAST_SIGN_IN_METHOD';
  constructor() {
    super('this is the last way to sign in to this account; set a password or link another provider first');
  }
}

/**
 * Why a sign-in with another provider did not sign anyone in. Never an HTTP status: the callback is a browser
 * navigation, so the code goes to the page in the address's fragment (`#signin-error=<code>`).
 */
export type ProviderSignInErrorCode =
  | 'EMAIL_BELONGS_TO_ANOTHER_ACCOUNT'
  | 'EMAIL_NOT_VERIFIED'
  | 'REGISTRATION_CLOSED'
  | 'INVALID_STATE'
  | 'PROVIDER_DENIED'
  | 'PROVIDER_UNAVAILABLE'
  | 'ACCOUNT_DISABLED'
  | 'IDENTITY_IN_USE'
  | 'SIGN_IN_PROVIDER_NOT_FOUND';

export class ProviderSignInError extends Error {
  constructor(
    readonly code: ProviderSignInErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProviderSignInError';
  }
}
