import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import { INestApplication } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import type { AppConfig } from './config/app.config';
import { API_KEY_SCHEME } from './common/decorators/api-key-auth.decorator';
import { AllExceptionsFilter } from './common/filters/all-exceptions.filter';
import { createValidationPipe } from './common/validation.pipe';
import { serveWebPage } from './web/web-page';

/** The Fastify options that have to be set before the app exists. */
export function createFastifyAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    // A hop count: only the nearest N proxies' X-Forwarded-For entries are believed. Given as a function
    // because Fastify (since 5.12) ignores a bare number and never trusts the header.
    trustProxy: config.trustProxy > 0 ? (_address: string, hop: number) => hop < config.trustProxy : false,
  });
}

/** Everything global about the HTTP app, shared by main.ts and the e2e tests so both serve the same app. */
export async function setupApp(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());
  app.enableShutdownHooks();

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        // Swagger UI styles itself inline and shows its logo as a data: URL.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        scriptSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        // Self-hosted servers are often reached over plain HTTP on a LAN, where upgrading every request of the
        // chat page and /docs to HTTPS would break them; behind TLS the page has no insecure requests to upgrade.
        upgradeInsecureRequests: null,
      },
    },
  });
  await app.register(cors, {
    origin: config.corsOrigins.length > 0 ? config.corsOrigins : false,
    // @fastify/cors allows only GET, HEAD and POST by default, which would refuse the API's PATCH and DELETE routes.
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
    credentials: true,
    exposedHeaders: ['Retry-After'],
  });
  // Unsigned: the refresh cookie holds a random token that is only ever looked up by its hash.
  await app.register(cookie);

  setupSwagger(app);
  await serveWebPage(app);
}

function setupSwagger(app: INestApplication): void {
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
            "errors in OpenAI's shape: `{ error: { message, type, param, code } }`.",
        )
        .setVersion('0.1.0')
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
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}
