import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app.error';
import { isDatabaseUnavailable } from '../errors/database-unavailable';
import { ERROR_STATUS, ErrorCode } from '../errors/error-codes';
import { isRedisUnavailable } from '../redis/redis.service';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  code: ErrorCode;
}

const CODE_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

/** Errors thrown by Fastify itself before a route runs (body parsing), mapped to the API's codes. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  // The client went away before its body had arrived (or the server dropped it at shutdown): nobody reads the
  // answer, and it is no server fault worth a stack trace in the log.
  ECONNRESET: 'BAD_REQUEST',
};

function fastifyErrorCode(exception: unknown): string | undefined {
  const cause = exception instanceof HttpException ? exception.cause : exception;
  return (cause as { code?: string } | null | undefined)?.code;
}

/** A dependency that cannot be reached: the same request may well succeed in a moment. */
function unavailable(what: string): { body: ErrorBody; retryAfter: number } {
  return {
    body: {
      statusCode: HttpStatus.SERVICE_UNAVAILABLE,
      error: 'Service Unavailable',
      message: `${what}; try again shortly`,
      code: 'SERVICE_UNAVAILABLE',
    },
    retryAfter: 5,
  };
}

export function toErrorBody(exception: unknown): {
  body: ErrorBody;
  retryAfter?: number;
  /** An AppError's own fields (AppError.fields), added to the body in the API's own shape. */
  fields?: Record<string, string | number | null>;
} {
  if (exception instanceof AppError) {
    const statusCode = ERROR_STATUS[exception.code];
    return {
      body: {
        statusCode,
        error: STATUS_CODES[statusCode] ?? 'Error',
        message: exception.message,
        code: exception.code,
      },
      retryAfter: exception.retryAfterSeconds,
      fields: exception.fields,
    };
  }
  // Fastify's own errors arrive wrapped in an HttpException by Nest's adapter, the original as its cause. A query
  // that failed carries its driver's code (ECONNRESET from a database connection is not a client that left).
  const fastifyCode =
    (exception as Error | null)?.name === 'QueryFailedError' ? undefined : fastifyErrorCode(exception);
  if (fastifyCode && FASTIFY_CODES[fastifyCode]) {
    const code = FASTIFY_CODES[fastifyCode];
    const statusCode = ERROR_STATUS[code];
    const message =
      code === 'PAYLOAD_TOO_LARGE'
        ? 'request body is larger than the server accepts'
        : code === 'INVALID_JSON'
          ? 'request body is not valid JSON'
          : ((exception as Error).message ?? 'bad request');
    return { body: { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, code } };
  }
  if (exception instanceof HttpException) {
    const statusCode = exception.getStatus();
    const response = exception.getResponse();
    const message =
      typeof response === 'object' && response !== null && 'message' in response
        ? (response as { message: string | string[] }).message
        : exception.message;
    const explicitCode =
      typeof response === 'object' && response !== null && 'code' in response
        ? (response as { code: ErrorCode }).code
        : undefined;
    const code = explicitCode ?? CODE_BY_STATUS[statusCode] ?? (statusCode >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
    return { body: { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, code } };
  }
  if (isRedisUnavailable(exception)) return unavailable('the server cannot reach its shared store (Redis)');
  if (isDatabaseUnavailable(exception)) return unavailable('the server cannot reach its database');
  const statusCode = HttpStatus.INTERNAL_SERVER_ERROR;
  return {
    body: { statusCode, error: 'Internal Server Error', message: 'Internal server error', code: 'INTERNAL_ERROR' },
  };
}

/**
 * Routes that mimic another API answer errors in its shape. The feature that owns them provides a dialect under
 * this token; the filter still decides status and code, and the dialect that claims the request's URL rewords
 * the answer (for unknown paths and unreadable bodies under it too, where no route of the feature has run).
 */
export abstract class ErrorDialect {
  /** Whether errors on this request URL (path and query string) are answered in this dialect. */
  abstract claims(url: string): boolean;
  /** The answer: its status, body, and headers of the dialect's own (added to Retry-After, say). */
  abstract render(body: ErrorBody): { status: number; body: object; headers?: Record<string, string> };
}

/** The one place where an error becomes an HTTP answer. Unknown errors are logged and answered without detail. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly dialects: readonly ErrorDialect[]) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    this.answer(exception, http.getRequest<FastifyRequest | undefined>()?.url, http.getResponse<FastifyReply>());
  }

  /** Answers `exception` on `reply`, in the dialect that claims `url` if any. */
  answer(exception: unknown, url: string | undefined, reply: FastifyReply): void {
    const { body, retryAfter, fields } = toErrorBody(exception);
    if (body.statusCode >= 500 && body.code === 'INTERNAL_ERROR') {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    } else if (body.statusCode === 503 && isDatabaseUnavailable(exception)) {
      // The operator's cue; its stack would only point into the driver.
      this.logger.error(`database unavailable: ${(exception as Error).message}`);
    }
    if (reply.sent || reply.raw.headersSent) return;
    if (retryAfter !== undefined) reply.header('Retry-After', String(retryAfter));
    const dialect = url === undefined ? undefined : this.dialects.find((candidate) => candidate.claims(url));
    const answer = dialect ? dialect.render(body) : { status: body.statusCode, body: { ...body, ...fields } };
    if ('headers' in answer && answer.headers) reply.headers(answer.headers);
    void reply.status(answer.status).send(answer.body);
  }
}
