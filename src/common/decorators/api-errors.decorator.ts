import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../dto/error-response.dto';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (one message per offending field) or unknown fields',
  401: 'Missing, invalid or expired credentials',
  403: 'Signed in, but not allowed (admin only)',
  404: 'Not found, or not yours',
  409: 'Conflicts with existing data',
  413: 'Request body too large',
  429: 'Too many requests; see Retry-After',
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
