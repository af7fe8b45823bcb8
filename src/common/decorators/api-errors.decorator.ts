import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../dto/error-response.dto';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (one message per offending field) or unknown fields',
  401:
    'Missing, invalid or expired credentials; `code` says what to do: TOKEN_EXPIRED (refresh and retry), ' +
    'SESSION_REVOKED (that sign-in was ended: sign in again), INVALID_TOKEN, ACCOUNT_DISABLED',
  403: 'Signed in, but not allowed: the route is for admins (FORBIDDEN)',
  404: 'Not found, or not yours',
  409: 'Conflicts with existing data',
  413: 'Request body too large',
  429: 'Too many requests from this client (RATE_LIMITED), or too many refused credentials from its address (TOO_MANY_AUTH_FAILURES); see Retry-After',
  502: 'The model provider failed',
  503: 'A dependency is unavailable',
  504: 'The model provider did not answer in time',
};

/** Documents a route's error answers with the shared error body. */
export function ApiErrors(...statuses: number[]) {
  return applyDecorators(
    ...statuses.map((status) => ApiResponse({ status, description: DESCRIPTIONS[status], type: ErrorResponseDto })),
  );
}

/** Documents one error answer of a route with a description of its own (it replaces the shared one). */
export function ApiError(status: number, description: string) {
  return ApiResponse({ status, description, type: ErrorResponseDto });
}

/** For routes that check or hash a password: the hashing queue is bounded (PASSWORD_HASH_QUEUE). */
export const ApiPasswordHashing = () =>
  ApiError(503, 'Too many password checks are already waiting (SERVER_BUSY); see Retry-After');
