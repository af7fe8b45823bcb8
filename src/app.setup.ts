import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import multipart from '@fastify/multipart';
import { INestApplication } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import { isUtf8 } from 'node:buffer';
import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AppConfig } from './config/app.config';
import { filesConfig, type FilesConfig } from './config/files.config';
import { API_KEY_SCHEME } from './common/decorators/api-key-auth.decorator';
import {
  InvalidTextError,
  JsonTooDeepError,
  MalformedUrlError,
  UnsupportedMediaTypeError,
  TooManyFieldsError,
  UriTooLongError,
} from './common/errors/app.error';
import { AllExceptionsFilter, ErrorDialect } from './common/filters/all-exceptions.filter';
import { applySecurityHeaders, securityHeadersOf, type SecurityHeaders } from './common/http/security-headers';
import { ShutdownService } from './common/lifecycle/shutdown.service';
import { REQUEST_ID_HEADER, requestIdOf } from './common/logging/request-id';
import { logRequests } from './common/logging/request-log';
import { MetricsService } from './common/metrics/metrics.service';
import { provideRequestContext } from './common/request-context/request-context';
import {
  describeIllFormedText,
  findIllFormedText,
  findObjectWiderThan,
  jsonNestsDeeperThan,
  MAX_JSON_DEPTH,
  MAX_OBJECT_MEMBERS,
} from './common/request-input/request-input';
import { createValidationPipe } from './common/validation.pipe';
import { ChatService } from './conversations/chat.service';
import { FilesService } from './files/files.service';
import { serveWebPage } from './web/web-page';

/**
 * Path parameters (ids, model names) longer than this are refused with 414 before routing. Fastify's default, 100,
 * is shorter than some providers' model names (fine-tuned ones, behind a provider prefix).
 */
const MAX_PARAM_LENGTH = 500;

/** The app's error filter, for the errors Fastify's router raises before the app has a say (see setupApp). */
interface LateFilter {
  filter?: AllExceptionsFilter;
}
const lateFilters = new WeakMap<FastifyAdapter, LateFilter>();

/** The Fastify options that have to be set before the app exists. */
export function createFastifyAdapter(config: AppConfig): FastifyAdapter {
  const late: LateFilter = {};
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // The router refuses some URLs before any hook or route runs; they are answered like every other error.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) =>
      answerRouterError(late, error, request, reply),
    genReqId: requestIdOf,
    clientErrorHandler: answerUnreadableRequest,
    // A hop count: only the nearest N proxies' X-Forwarded-For entries are believed. Given as a function
    // because Fastify (since 5.12) ignores a bare number and never trusts the header.
    trustProxy: config.trustProxy > 0 ? (_address: string, hop: number) => hop < config.trustProxy : false,
    // A client that sends its request slowly holds a connection; these bound how long (see README, "Slow clients").
    // Node counts the request time-out only until the request has arrived, so streamed answers run on after it.
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    // No connectionTimeout (an idle time-out on the socket): a request waiting for a long answer without streaming
    // is quiet for as long as the model takes, and the time-outs here already bound what a slow client can hold.
    http: {
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: config.headersTimeoutMs,
      // Node checks both time-outs above on this interval (30 s by default), which would stretch each by up to that.
      connectionsCheckingInterval: 1000,
    },
  });
  lateFilters.set(adapter, late);
  return adapter;
}

function answerRouterError(late: LateFilter, error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header(REQUEST_ID_HEADER, request.id);
  // Refused before the app's hooks run, which give every other answer this.
  reply.header('cache-control', 'no-store');
  const known =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new UriTooLongError(MAX_PARAM_LENGTH)
      : error.code === 'FST_ERR_BAD_URL'
        ? new MalformedUrlError()
        : error;
  // Until setupApp has run there is no dialect to answer in; the API's own shape then.
  (late.filter ?? new AllExceptionsFilter([])).answer(known, request.url, reply);
}

/**
 * Answers a request Node's HTTP parser could not read (raw bytes outside ASCII in the URL, a malformed header, headers
 * too large, a request that did not arrive in time) in the API's error shape. Fastify's own answer has no `code`.
 */
function answerUnreadableRequest(error: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [statusCode, code, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'REQUEST_TIMEOUT', 'the request did not arrive in time']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'HEADERS_TOO_LARGE', "the request's headers are too large"]
        : [
            400,
            'BAD_REQUEST',
            'the request is not valid HTTP (characters outside ASCII in a URL must be percent-encoded)',
          ];
  if (socket.writable) {
    const body = JSON.stringify({ statusCode, error: STATUS_CODES[statusCode], message, code });
    // With the headers every other answer of the API carries.
    const security = apiSecurityHeaders().set.map(([name, value]) => `${name}: ${value}\r\n`);
    socket.write(
      `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\n${security.join('')}` +
        `Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** Everything global about the HTTP app, shared by main.ts and the e2e tests so both serve the same app. */
export async function setupApp(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  app.useLogger(app.get(Logger));
  const fastify: FastifyInstance = app.getHttpAdapter().getInstance();
  // First, so that a request a later hook refuses (415, 503 while shutting down) has its context and its log line.
  provideRequestContext(fastify);
  logRequests(fastify);
  app.useGlobalPipes(createValidationPipe());
  // Every dialect any feature module provides (the OpenAI-compatible routes have one).
  const filter = new AllExceptionsFilter(app.get(ErrorDialect, { strict: false, each: true }));
  app.useGlobalFilters(filter);
  const late = lateFilters.get(app.getHttpAdapter() as FastifyAdapter);
  if (late) late.filter = filter;
  const metrics = app.get(MetricsService, { strict: false });
  fastify.addHook('onRequest', (request, reply, done) => {
    // On the raw response, so that streamed answers, written past Fastify's reply, carry it too.
    reply.raw.setHeader(REQUEST_ID_HEADER, request.id);
    if (metrics.enabled) timeRequest(metrics, request, reply);
    done();
  });
  // Helmet's headers with these policies, made once: they are the same for every request.
  const docsHeaders = securityHeadersOf({ contentSecurityPolicy: { directives: DOCS_CSP } });
  // Swagger UI styles itself inline and shows its logo as a data: URL; only its pages get a policy that allows that.
  fastify.addHook('onRoute', (route) => {
    if (route.url === DOCS_PATH || route.url.startsWith(`${DOCS_PATH}/`)) {
      route.config = { ...route.config, securityHeaders: docsHeaders };
    }
  });
  const apiHeaders = apiSecurityHeaders();
  // API answers carry people's conversations, files and tokens: neither a browser nor a proxy keeps a copy. The
  // page's own files set their caching themselves (@fastify/static), which takes precedence over this.
  applySecurityHeaders(fastify, { ...apiHeaders, set: [...apiHeaders.set, ['Cache-Control', 'no-store']] });
  await app.register(cors, {
    origin: config.corsOrigins.length > 0 ? config.corsOrigins : false,
    // @fastify/cors allows only GET, HEAD and POST by default, which would refuse the API's PATCH and DELETE routes.
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    credentials: true,
    exposedHeaders: ['Retry-After', 'X-Request-Id'],
    // An OPTIONS request that is not a browser's preflight (no Origin, or no method asked for) is answered as one,
    // 204 without any grant, rather than with @fastify/cors's plain-text 400, which no other answer of the API is.
    strictPreflight: false,
  });
  // The hooks above run first, so that the refusals below (503 while shutting down, 415) carry the same headers.
  app.get(ShutdownService).attach(fastify, (error, request, reply) => filter.answer(error, request.url, reply));
  // Before any request: an answer still `streaming` now belonged to a process that has stopped, and would
  // otherwise keep its conversation refusing new messages.
  await app.get(ChatService).settleAbandonedAnswers();
  await app.get(FilesService).resumeAfterRestart();
  guardRequestInput(app);
  // Unsigned: the refresh cookie holds a random token that is only ever looked up by its hash.
  await app.register(cookie);
  await registerMultipart(app, app.get<FilesConfig>(filesConfig.KEY));

  if (config.docsEnabled) setupSwagger(app, config.bodyLimitBytes);
  await serveWebPage(app);
}

/**
 * Multipart bodies (uploads) are streamed by the route that reads them, so the global body limit, which applies
 * to bodies Fastify buffers, does not cap them; these limits do. One part, the file; the route's own count stops
 * the stream at FILE_MAX_BYTES, and the one byte more here is never reached before it.
 */
async function registerMultipart(app: NestFastifyApplication, files: FilesConfig): Promise<void> {
  await app.register(multipart, {
    limits: { fileSize: files.maxBytes + 1, files: 1, fields: 5, fieldSize: 1024, parts: 6, headerPairs: 50 },
  });
}

const DOCS_PATH = '/docs';

/**
 * Observes the request when its response is over, however it ended: sent by Fastify, streamed on the raw
 * response, or cut by the client. By route template, never the raw URL (ids, query strings).
 */
function timeRequest(metrics: MetricsService, request: FastifyRequest, reply: FastifyReply): void {
  const startedAt = performance.now();
  reply.raw.once('close', () => {
    metrics.httpRequestDuration.observe(
      { route: request.routeOptions.url ?? 'unmatched', method: request.method, status: String(reply.raw.statusCode) },
      (performance.now() - startedAt) / 1000,
    );
  });
}

/** The chat page and the API: nothing inline, nothing from another origin. */
const STRICT_CSP = {
  defaultSrc: ["'self'"],
  styleSrc: ["'self'"],
  // blob: for the attachments the page fetched with its token, and thumbnails of files chosen for upload.
  imgSrc: ["'self'", 'blob:'],
  fontSrc: ["'self'"],
  scriptSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
  // Self-hosted servers are often reached over plain HTTP on a LAN, where upgrading every request of the
  // chat page and /docs to HTTPS would break them; behind TLS the page has no insecure requests to upgrade.
  upgradeInsecureRequests: null,
};

let madeApiHeaders: SecurityHeaders | undefined;
/** Helmet's headers for the API and the chat page, made once, at the first use. */
function apiSecurityHeaders(): SecurityHeaders {
  return (madeApiHeaders ??= securityHeadersOf({ contentSecurityPolicy: { directives: STRICT_CSP } }));
}

const DOCS_CSP = {
  ...STRICT_CSP,
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
};

const NOT_JSON_TYPES = new Set(['text/plain', 'application/x-www-form-urlencoded']);

const hasBody = (request: FastifyRequest) =>
  request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;

/**
 * Refuses, with 400 before any route or validator sees them, inputs that no route can use and that would otherwise
 * fail deep inside: JSON nested past MAX_JSON_DEPTH (class-transformer recurses once per level), bodies that are
 * not UTF-8, NUL or unpaired surrogates in any text of the body, the query or the route parameters, and objects
 * wider than MAX_OBJECT_MEMBERS (class-transformer's time grows with the square of an object's width); and, with
 * 415, form and plain-text bodies.
 */
function guardRequestInput(app: NestFastifyApplication): void {
  const fastify: FastifyInstance = app.getHttpAdapter().getInstance();
  // Fastify's own parser afterwards, for its handling of empty bodies, syntax errors and prototype poisoning.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser<Server>('application/json', {}, (request, body, done) => {
    // Decoding would silently replace each invalid byte with U+FFFD, so two different passwords could be one.
    if (!isUtf8(body)) return done(new InvalidTextError('request body is not valid UTF-8'), undefined);
    const text = body.toString('utf8');
    // No body at all, whatever the Content-Type says: some clients send `application/json` with every request,
    // a DELETE's included. A route that needs a body says what is missing from it, as for `{}`.
    if (text === '') return done(null, undefined);
    if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) return done(new JsonTooDeepError(MAX_JSON_DEPTH), undefined);
    parseJson(request, text, done);
  });
  // Fastify (plain text) and Nest (forms) would parse these; the API takes JSON. A form or a text body is also what
  // another site can make a browser send without asking first (no CORS preflight).
  fastify.addHook('onRequest', (request, _reply, done) => {
    const type = request.headers['content-type']?.split(';')[0].trim().toLowerCase();
    if (type && NOT_JSON_TYPES.has(type) && hasBody(request)) return done(new UnsupportedMediaTypeError(type));
    done();
  });
  fastify.addHook('preValidation', async (request) => {
    const found =
      findIllFormedText(request.params, 'params') ??
      findIllFormedText(request.query, 'query') ??
      findIllFormedText(request.body, 'body');
    if (found) throw new InvalidTextError(describeIllFormedText(found));
    const wide =
      findObjectWiderThan(request.query, 'query', MAX_OBJECT_MEMBERS) ??
      findObjectWiderThan(request.body, 'body', MAX_OBJECT_MEMBERS);
    if (wide) throw new TooManyFieldsError(wide, MAX_OBJECT_MEMBERS);
  });
}

function setupSwagger(app: INestApplication, bodyLimitBytes: number): void {
  // Built on the first request for it rather than at start: walking every route's metadata was about a tenth of
  // the start-up time, paid on every start for a page few requests ask for.
  const document = () =>
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Colloquy API')
        .setDescription(
          'Self-hosted AI chat portal. Sign in at /auth/login or /auth/register, then send the access token as ' +
            '`Authorization: Bearer <token>`. Errors share one shape: `{ statusCode, error, message, code }`. ' +
            'Browser pages may keep the refresh token in an httpOnly cookie instead of the body: send ' +
            '`X-Refresh-Cookie: 1` to register, login, refresh and logout. The chat page at / works that way. ' +
            'The OpenAI-compatible routes under /v1 take a personal API key (`api-key` scheme) instead and answer ' +
            "errors in OpenAI's shape: `{ error: { message, type, param, code } }`. Any request answers 400 " +
            `\`JSON_TOO_DEEP\` for a JSON body nested deeper than ${MAX_JSON_DEPTH} levels, 400 \`INVALID_TEXT\` ` +
            'for a body that is not UTF-8 or for a NUL character or an unpaired UTF-16 surrogate in any text of the ' +
            `body, query or path; 400 \`TOO_MANY_FIELDS\` for an object with more than ${MAX_OBJECT_MEMBERS} fields; ` +
            '400 `INVALID_JSON` for a body that is not valid JSON, 415 `UNSUPPORTED_MEDIA_TYPE` ' +
            'for a body of a type no route reads, 431 `HEADERS_TOO_LARGE` for headers too large, and 408 ' +
            '`REQUEST_TIMEOUT` for a request that does not arrive in time (HTTP_HEADERS_TIMEOUT_MS, ' +
            'HTTP_REQUEST_TIMEOUT_MS). Any request may answer 503 with Retry-After while the server shuts down ' +
            "(`SHUTTING_DOWN`) or cannot reach Redis (`SERVICE_UNAVAILABLE`); under /v1 in OpenAI's error shape.",
        )
        .setVersion('0.1.0')
        .setLicense('MIT', 'https://opensource.org/license/mit')
        // Relative: the server that serves this document, whatever address it is reached at.
        .addServer('/', 'This server')
        .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
        .addBearerAuth(
          {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'ck_...',
            description: 'A personal API key from POST /users/me/api-keys; only the /v1 routes take it.',
          },
          API_KEY_SCHEME,
        )
        .build(),
    );
  SwaggerModule.setup(DOCS_PATH, app, () => withBodyLimit(bodyLimitBytes, document()), {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
  });
}

/**
 * The body limit is applied before any route (createFastifyAdapter), so no controller declares it: every operation
 * that takes a body and names no 413 of its own gets it here.
 */
function withBodyLimit(bodyLimitBytes: number, document: OpenAPIObject): OpenAPIObject {
  const tooLarge = {
    description: `A request body larger than ${bodyLimitBytes} bytes (BODY_LIMIT_BYTES): PAYLOAD_TOO_LARGE`,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponseDto' } } },
  };
  for (const path of Object.values(document.paths)) {
    for (const method of ['post', 'put', 'patch', 'delete'] as const) {
      const operation = path[method];
      if (operation?.requestBody && !operation.responses['413']) operation.responses['413'] = tooLarge;
    }
  }
  return document;
}
