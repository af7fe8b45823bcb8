import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's own security headers, when they are not the app's (see applySecurityHeaders). */
    securityHeaders?: SecurityHeaders;
  }
}

/** What helmet does to a response: the headers it sets, in its order, and the ones it removes. */
export interface SecurityHeaders {
  readonly set: readonly (readonly [name: string, value: string])[];
  readonly removed: readonly string[];
}

/**
 * Runs helmet's own middleware once, on a response that only records what is done to it. With these options its
 * output is the same for every request; a Content-Security-Policy directive given as a function (a nonce, say)
 * would not be, so such options are refused.
 */
export function securityHeadersOf(options: HelmetOptions): SecurityHeaders {
  const csp = options.contentSecurityPolicy;
  const directives = typeof csp === 'object' ? Object.values(csp.directives ?? {}) : [];
  if (directives.some((value) => typeof value === 'function' || (Array.isArray(value) && value.some(isFunction)))) {
    throw new Error('security headers are made once at start: a directive that depends on the request cannot be');
  }
  const set: [string, string][] = [];
  const removed: string[] = [];
  const recorder = {
    setHeader(name: string, value: unknown) {
      set.push([name, String(value)]);
      return recorder;
    },
    removeHeader(name: string) {
      removed.push(name);
    },
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
  });
  return { set, removed };
}

/**
 * Gives every response helmet's headers, made once at start: `defaults`, or the route's `securityHeaders` (set
 * through its config, e.g. in an onRoute hook). On the raw response, as helmet itself writes them, so that
 * answers streamed past Fastify's reply carry them too. Building helmet's middleware for each request, as
 * @fastify/helmet does, was about 4% of a short API request's CPU.
 */
export function applySecurityHeaders(fastify: FastifyInstance, defaults: SecurityHeaders): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const headers = request.routeOptions.config.securityHeaders ?? defaults;
    const raw = reply.raw;
    for (const [name, value] of headers.set) raw.setHeader(name, value);
    for (const name of headers.removed) raw.removeHeader(name);
    done();
  });
}

const isFunction = (value: unknown) => typeof value === 'function';
