import { Injectable, Scope } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import type { Logger as Pino } from 'pino';
import { currentRequest, type RequestContext } from '../request-context/request-context';

/** Probes every few seconds would drown everything else. */
const UNLOGGED_PATH = '/health';

interface ServedRequest {
  request: FastifyRequest;
  /** Made at the first line logged while the request runs: most requests log none. */
  logger?: Pino;
}

const served = new WeakMap<RequestContext, ServedRequest>();

/**
 * Writes one line per request once its response is over, however it ended (sent by Fastify, streamed on the raw
 * response, cut by the client), and binds the request to every line logged while it runs (see RequestPinoLogger).
 * A Fastify hook rather than pino-http's middleware under @fastify/middie: that made a child logger for each
 * request and ran every request through the middleware runner, about a fifth of the CPU of a simple authenticated
 * read. The line is the same: `req` and `res` through the root logger's serializers, `responseTime` in ms.
 * Register it after the request context (provideRequestContext) and before any hook that may answer early.
 */
export function logRequests(fastify: FastifyInstance): void {
  // The line's fields are the serializers' few (no header, no body, the path without its query), so pino's
  // redaction, which costs more than the rest of the line, has nothing to do on it.
  let lines: Pino | undefined;
  fastify.addHook('onRequest', (request, reply, done) => {
    const context = currentRequest();
    if (context) served.set(context, { request });
    // The serializer reads the id where pino-http kept it.
    (request.raw as { id?: unknown }).id = request.id;
    if (request.url === UNLOGGED_PATH || request.url.startsWith(`${UNLOGGED_PATH}?`)) return done();
    const startedAt = Date.now();
    reply.raw.once('close', () => {
      const res = reply.raw;
      const line = { req: request.raw, res, responseTime: Date.now() - startedAt };
      lines ??= PinoLogger.root.child({}, { redact: [] });
      lines.info(line, res.statusCode >= 500 ? 'request errored' : 'request completed');
    });
    done();
  });
}

/**
 * nestjs-pino's logger, bound to the request being served: a line logged while it runs carries the request's `req`
 * (its id above all), as the request line does.
 */
@Injectable({ scope: Scope.TRANSIENT })
export class RequestPinoLogger extends PinoLogger {
  override get logger(): Pino {
    const context = currentRequest();
    const entry = context && served.get(context);
    if (!entry) return super.logger;
    entry.logger ??= PinoLogger.root.child({ req: entry.request.raw });
    return entry.logger;
  }
}
