import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';

/** Who is asking, as far as the server can tell: for records made deep inside services (the audit log). */
export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();
/** The async scope of the request once its hooks have set everything up, to return to after the body is read. */
const SCOPE = Symbol('request scope');
type ScopedRequest = FastifyRequest & { [SCOPE]?: AsyncResource };

/** Long enough for any real browser's; the header is the client's to fill, so it is never kept whole. */
const USER_AGENT_MAX_LENGTH = 256;

/** The request being served, or undefined outside of one (start-up, timers, the command line). */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

/** Control characters are dropped: the value is shown to people, and PostgreSQL refuses NUL in text. */
export function cleanUserAgent(header: string | string[] | undefined): string | null {
  // eslint-disable-next-line no-control-regex
  const text = typeof header === 'string' ? header.replace(/[\u0000-\u001f\u007f]/g, '').trim() : '';
  return text ? text.slice(0, USER_AGENT_MAX_LENGTH) : null;
}

/**
 * Makes the request's context available to everything that runs for it. Reading a body happens in the socket's
 * own async scope, which would lose it (and the request logger's): the scope is captured once every onRequest
 * hook has run and re-entered once the body is parsed, as @fastify/request-context does.
 */
export function provideRequestContext(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const context: RequestContext = {
      ip: request.ip ? request.ip.slice(0, 64) : null,
      userAgent: cleanUserAgent(request.headers['user-agent']),
      requestId: String(request.id),
    };
    storage.run(context, done);
  });
  fastify.addHook('preParsing', (request: ScopedRequest, _reply, payload, done) => {
    request[SCOPE] = new AsyncResource('colloquy.request');
    done(null, payload);
  });
  fastify.addHook('preValidation', (request: ScopedRequest, _reply, done) => {
    const scope = request[SCOPE];
    if (scope) scope.runInAsyncScope(done);
    else done();
  });
}
