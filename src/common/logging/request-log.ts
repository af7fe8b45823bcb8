import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { PinoLogger } from 'nestjs-pino';
import type { Logger as Pino } from 'pino';
import { currentRequest, type RequestContext } from '../request-context/request-context';

/** Probes every few seconds would drown everything else. */
const UNLOGGED_PATH = '/health';

interface ServedRequest {
  raw: IncomingMessage;
  /** Made at the first line logged while the request runs: most requests log none. */
  logger?: Pino;
}

const served = new WeakMap<RequestContext, ServedRequest>();

/**
 * Writes one line per request once its response is over, however it ended (sent by Fastify, streamed on the raw
 * response, cut by the client), and binds the request to every line logged while it runs (requestLogger).
 * A Fastify hook rather than pino-http's middleware under @fastify/middie: that made a child logger for each
 * request and ran every request through the middleware runner, about a sixth of the CPU of a simple authenticated
 * read. The line is pino-http's: `req` and `res` through the root logger's serializers, `err` for a 5xx,
 * `responseTime` in ms, and "request completed", "request aborted" or "request errored".
 * Register it after the request context (provideRequestContext) and before any hook that may answer early.
 */
export function logRequests(fastify: FastifyInstance): void {
  // The serializers keep only a few fields that hold no secret (request-logger.options.ts), so pino's redaction,
  // which costs more than the rest of the line, is left out of it.
  let lines: Pino | undefined;
  fastify.addHook('onRequest', (request, reply, done) => {
    const raw = request.raw;
    const context = currentRequest();
    if (context) served.set(context, { raw });
    // The serializer reads the id where pino-http kept it.
    (raw as { id?: unknown }).id = request.id;
    if (request.url === UNLOGGED_PATH || request.url.startsWith(`${UNLOGGED_PATH}?`)) return done();
    const startedAt = Date.now();
    reply.raw.once('close', () => {
      const res = reply.raw;
      const responseTime = Date.now() - startedAt;
      lines ??= PinoLogger.root.child({}, { redact: [] });
      const failure =
        res.errored ?? (res.statusCode >= 500 ? new Error(`failed with status code ${res.statusCode}`) : null);
      if (failure) return lines.info({ req: raw, res, err: failure, responseTime }, 'request errored');
      const message = !raw.readableAborted && res.writableEnded ? 'request completed' : 'request aborted';
      lines.info({ req: raw, res, responseTime }, message);
    });
    done();
  });
}

/** The logger of the request being served, bound to its `req`; undefined outside of one. */
export function requestLogger(): Pino | undefined {
  const context = currentRequest();
  const entry = context && served.get(context);
  if (!entry) return undefined;
  entry.logger ??= PinoLogger.root.child({ req: entry.raw });
  return entry.logger;
}
