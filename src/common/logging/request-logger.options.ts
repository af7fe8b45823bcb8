import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import pino from 'pino';
import type { AppConfig } from '../../config/app.config';

/** Paths that may carry a secret; pino replaces their values before a line is written. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.refreshToken',
  '*.accessToken',
  '*.apiKey',
  '*.mfaToken',
  '*.backupCodes',
];

/** Node's request, with the id Fastify gave it (logRequests). */
type RawRequest = IncomingMessage & { id?: unknown };

/** The request's path: its query string is dropped, as a client may have put a token there by mistake. */
const pathOf = (req: RawRequest) => (req.url ?? '').split('?')[0];

/**
 * The client's address as Fastify's `request.ip` gives it, read from Node's request (what the serializer gets): the
 * peer, or with TRUST_PROXY hops the address that many proxies back in X-Forwarded-For (the last entry is the
 * nearest proxy's report). Logging the peer would name the proxy on every line.
 */
export function clientAddressOf(req: IncomingMessage, trustProxy: number): string | undefined {
  const peer = req.socket?.remoteAddress;
  const forwarded = req.headers['x-forwarded-for'];
  if (trustProxy <= 0 || typeof forwarded !== 'string') return peer;
  const chain = [
    peer,
    ...forwarded
      .split(',')
      .map((address) => address.trim())
      .reverse(),
  ];
  return chain[Math.min(trustProxy, chain.length - 1)];
}

export function requestLoggerOptions(config: AppConfig): Params {
  return {
    pinoHttp: [
      {
        level: config.logLevel,
        redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
        // The request line is written without redaction (logRequests): whatever these keep must hold no secret.
        // The serializers below read the request and reply directly: pino-http's default wrappers first copy every
        // header of both into new objects on each request, only for these to keep four fields.
        wrapSerializers: false,
        serializers: {
          req: (req: RawRequest) => ({
            id: req.id,
            method: req.method,
            url: pathOf(req),
            remoteAddress: clientAddressOf(req, config.trustProxy),
          }),
          res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
        },
      },
      // Lines are written in batches of 4 KiB, or after at most a second, not one system call each: on this kind of
      // virtual machine the write of each line cost the request about as much as the database query did. Pino
      // writes out what is pending when the process exits.
      pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 1000 }),
    ],
  };
}
