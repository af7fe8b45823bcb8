import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';
/** A caller's id is taken as it is only when it is a short token: it ends up in log lines and a response header. */
const CALLERS_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * The request's id: the caller's X-Request-Id when it is a short token (so a proxy's or a client's id ties their
 * logs to ours), else a new UUID. Fastify keeps it as `request.id`; the request logger reads it from there, so it
 * is in every log line of the request, and it goes back in the response's X-Request-Id.
 */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && CALLERS_REQUEST_ID.test(given) ? given : randomUUID();
}
