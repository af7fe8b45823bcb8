import { HttpStatus } from '@nestjs/common';

/**
 * Every stable error code the API answers with, and its HTTP status. A code missing from this table does not
 * compile, so a new domain error cannot silently become a 500.
 */
export const ERROR_STATUS = {
  // generic, from the framework
  BAD_REQUEST: HttpStatus.BAD_REQUEST,
  VALIDATION_FAILED: HttpStatus.BAD_REQUEST,
  INVALID_JSON: HttpStatus.BAD_REQUEST,
  JSON_TOO_DEEP: HttpStatus.BAD_REQUEST,
  INVALID_TEXT: HttpStatus.BAD_REQUEST,
  UNAUTHORIZED: HttpStatus.UNAUTHORIZED,
  FORBIDDEN: HttpStatus.FORBIDDEN,
  NOT_FOUND: HttpStatus.NOT_FOUND,
  METHOD_NOT_ALLOWED: HttpStatus.METHOD_NOT_ALLOWED,
  CONFLICT: HttpStatus.CONFLICT,
  PAYLOAD_TOO_LARGE: HttpStatus.PAYLOAD_TOO_LARGE,
  UNSUPPORTED_MEDIA_TYPE: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  RATE_LIMITED: HttpStatus.TOO_MANY_REQUESTS,
  SERVICE_UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
  INTERNAL_ERROR: HttpStatus.INTERNAL_SERVER_ERROR,
  // pagination
  INVALID_CURSOR: HttpStatus.BAD_REQUEST,
  // auth and users
  EMAIL_TAKEN: HttpStatus.CONFLICT,
  INVALID_CREDENTIALS: HttpStatus.UNAUTHORIZED,
  INVALID_TOKEN: HttpStatus.UNAUTHORIZED,
  TOKEN_EXPIRED: HttpStatus.UNAUTHORIZED,
  SESSION_REVOKED: HttpStatus.UNAUTHORIZED,
  REFRESH_TOKEN_REUSED: HttpStatus.UNAUTHORIZED,
  ACCOUNT_DISABLED: HttpStatus.UNAUTHORIZED,
  TOO_MANY_LOGIN_ATTEMPTS: HttpStatus.TOO_MANY_REQUESTS,
  USER_NOT_FOUND: HttpStatus.NOT_FOUND,
  CANNOT_CHANGE_OWN_ACCESS: HttpStatus.BAD_REQUEST,
  // models and conversations
  UNKNOWN_MODEL: HttpStatus.BAD_REQUEST,
  CONVERSATION_NOT_FOUND: HttpStatus.NOT_FOUND,
  UPSTREAM_RATE_LIMITED: HttpStatus.TOO_MANY_REQUESTS,
  UPSTREAM_UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
  UPSTREAM_ERROR: HttpStatus.BAD_GATEWAY,
  UPSTREAM_TIMEOUT: HttpStatus.GATEWAY_TIMEOUT,
  // API keys and usage
  INVALID_API_KEY: HttpStatus.UNAUTHORIZED,
  API_KEY_NOT_FOUND: HttpStatus.NOT_FOUND,
  TOO_MANY_API_KEYS: HttpStatus.CONFLICT,
  INVALID_DATE_RANGE: HttpStatus.BAD_REQUEST,
} as const satisfies Record<string, HttpStatus>;

export type ErrorCode = keyof typeof ERROR_STATUS;
