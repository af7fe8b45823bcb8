import { Injectable } from '@nestjs/common';
import { MODEL_LIST_ROUTE } from '../ai/ai.errors';
import { ErrorDialect, type ErrorBody } from '../common/filters/all-exceptions.filter';

/** Routes under this prefix speak OpenAI's API, down to the shape of their errors. */
export const OPENAI_COMPAT_PREFIX = '/v1';

export function isOpenAiCompatPath(url: string | undefined): boolean {
  const path = (url ?? '').split('?')[0];
  return path === OPENAI_COMPAT_PREFIX || path.startsWith(`${OPENAI_COMPAT_PREFIX}/`);
}

/** OpenAI's error body; its SDKs read `error.message`, `type`, `param` and `code` from it. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/**
 * OpenAI answers an unknown model with 404, where the portal's own routes treat it as bad input, and an
 * overloaded model with 503, where they answer every provider failure 502.
 */
const STATUS_OVERRIDES: Partial<Record<ErrorBody['code'], number>> = { UNKNOWN_MODEL: 404, UPSTREAM_UNAVAILABLE: 503 };

/** OpenAI's codes where it has one for the same failure; every other code is passed on in lower case. */
const OPENAI_CODES: Partial<Record<ErrorBody['code'], string>> = {
  UNKNOWN_MODEL: 'model_not_found',
  UNAUTHORIZED: 'invalid_api_key',
  INVALID_API_KEY: 'invalid_api_key',
  RATE_LIMITED: 'rate_limit_exceeded',
  TOO_MANY_AUTH_FAILURES: 'rate_limit_exceeded',
  UPSTREAM_RATE_LIMITED: 'rate_limit_exceeded',
  QUOTA_EXCEEDED: 'insufficient_quota',
};

/** OpenAI's types where they are not the status's usual one: a spent quota is not a rate limit to wait out. */
const OPENAI_TYPES: Partial<Record<ErrorBody['code'], string>> = { QUOTA_EXCEEDED: 'insufficient_quota' };

function typeFor(status: number): string {
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  // OpenAI files bad keys, unknown models and unknown URLs under this type too.
  return 'invalid_request_error';
}

/** The offending field, as OpenAI names it in `param`: read from the first validation message. */
function paramFor(body: ErrorBody): string | null {
  if (body.code === 'UNKNOWN_MODEL') return 'model';
  // "body.messages[0].content contains ...": the field, without where it came in (a query or path has none).
  if (body.code === 'INVALID_TEXT') return /^body\.(\S+) contains /.exec(String(body.message))?.[1] ?? null;
  if (body.code !== 'VALIDATION_FAILED' && body.code !== 'UNSUPPORTED_PARAMETER') return null;
  const first = (Array.isArray(body.message) ? body.message[0] : body.message) ?? '';
  const unknown = /^(.*?)property (\S+) should not exist$/.exec(first);
  if (unknown) return `${unknown[1]}${unknown[2]}`;
  return /^(\S+) /.exec(first)?.[1] ?? null;
}

/** The message as one text; an unknown model's points to /v1's own list, the one an API key can read. */
function messageFor(body: ErrorBody): string {
  const message = Array.isArray(body.message) ? body.message.join('; ') : body.message;
  if (body.code !== 'UNKNOWN_MODEL') return message;
  return message.replace(MODEL_LIST_ROUTE, `GET ${OPENAI_COMPAT_PREFIX}/models`);
}

/** The same failure as the rest of the API reports it, in OpenAI's shape and, where OpenAI differs, status. */
export function toOpenAiError(body: ErrorBody): { status: number; body: OpenAiErrorBody } {
  const status = STATUS_OVERRIDES[body.code] ?? body.statusCode;
  return {
    status,
    body: {
      error: {
        message: messageFor(body),
        type: OPENAI_TYPES[body.code] ?? typeFor(status),
        param: paramFor(body),
        code: OPENAI_CODES[body.code] ?? body.code.toLowerCase(),
      },
    },
  };
}

/** Lets the global filter answer every error under /v1 in OpenAI's shape. */
@Injectable()
export class OpenAiErrorDialect extends ErrorDialect {
  claims(url: string): boolean {
    return isOpenAiCompatPath(url);
  }

  render(body: ErrorBody): { status: number; body: OpenAiErrorBody; headers?: Record<string, string> } {
    const answer = toOpenAiError(body);
    // OpenAI's SDKs retry a 429 after its Retry-After, however long: a spent quota would hold the caller until
    // midnight or the next month. This header, which they read first, makes them raise the error at once.
    return body.code === 'QUOTA_EXCEEDED' ? { ...answer, headers: { 'x-should-retry': 'false' } } : answer;
  }
}
