import type { Server } from 'node:http';
import { bearer, registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';

function expectErrorShape(body: unknown, statusCode: number, code: string) {
  expect(body).toEqual({ statusCode, error: expect.any(String), message: expect.anything(), code });
}

describe('General', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  describe('request bodies', () => {
    it('answers 400 INVALID_JSON for malformed JSON', async () => {
      const res = await t
        .http()
        .post('/auth/register')
        .set('Content-Type', 'application/json')
        .send('{"email": "a@example.com", "password": ');

      expect(res.status).toBe(400);
      expectErrorShape(res.body, 400, 'INVALID_JSON');
      expect(res.body.error).toBe('Bad Request');
    });

    it('takes an empty body sent as application/json as no body: a DELETE goes through, a POST says what is missing', async () => {
      const me = await registerUser(t);
      const created = await t.http().post('/users/me/api-keys').set(bearer(me.accessToken)).send({ name: 'k' });
      expect(created.status).toBe(201);
      // As some HTTP clients send every request, a body-less DELETE included.
      await t
        .http()
        .delete(`/users/me/api-keys/${created.body.id}`)
        .set(bearer(me.accessToken))
        .set('Content-Type', 'application/json')
        .expect(204);
      const empty = await t.http().post('/auth/login').set('Content-Type', 'application/json').send('');
      expect(empty.status).toBe(400);
      expectErrorShape(empty.body, 400, 'VALIDATION_FAILED');
      expect(empty.body.message).toEqual(expect.arrayContaining([expect.stringMatching(/^email /)]));
    });

    it('answers 413 PAYLOAD_TOO_LARGE for a body over 1 MiB, before any auth check', async () => {
      const body = JSON.stringify({ email: 'big@example.com', password: 'x'.repeat(1024 * 1024) });
      const res = await t.http().post('/auth/register').set('Content-Type', 'application/json').send(body);

      expect(res.status).toBe(413);
      expectErrorShape(res.body, 413, 'PAYLOAD_TOO_LARGE');
      expect(res.body.error).toBe('Payload Too Large');
      expect(await t.query('SELECT id FROM users WHERE email = ?', ['big@example.com'])).toEqual([]);
    });

    it('reads a body just under 1 MiB (and validates it)', async () => {
      const body = JSON.stringify({ email: 'almost@example.com', password: 'x'.repeat(1024 * 1024 - 100) });
      const res = await t.http().post('/auth/register').set('Content-Type', 'application/json').send(body);

      expect(res.status).toBe(400);
      expectErrorShape(res.body, 400, 'VALIDATION_FAILED');
      expect(res.body.message).toEqual([expect.stringContaining('password')]);
    });
  });

  describe('security headers', () => {
    it('sends helmet headers on API answers', async () => {
      const res = await t.http().get('/health').expect(200);

      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['strict-transport-security']).toContain('max-age=');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['x-powered-by']).toBeUndefined();
    });

    it('sends them on errors too', async () => {
      const res = await t.http().get('/auth/me').expect(401);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    });

    it('lets no browser or proxy keep a copy of API answers, and lets the page cache its own files', async () => {
      const user = await registerUser(t);
      const login = await t
        .http()
        .post('/auth/login')
        .send({ email: user.user.email, password: user.password })
        .expect(200);
      const me = await t.http().get('/users/me').set(bearer(user.accessToken)).expect(200);
      const refused = await t.http().get('/users/me').expect(401);
      const unreadable = await t.http().post('/auth/login').type('form').send('email=a').expect(415);
      for (const res of [login, me, refused, unreadable]) expect(res.headers['cache-control']).toBe('no-store');

      const page = await t.http().get('/app.css').expect(200);
      expect(page.headers['cache-control']).not.toContain('no-store');
    });

    /** The Content-Security-Policy header as directive name to its sources. */
    const csp = (header: string) =>
      Object.fromEntries(
        header.split(';').map((directive) => {
          const [name, ...sources] = directive.trim().split(/\s+/);
          return [name, sources];
        }),
      );

    it.each(['/', '/index.html', '/js/main.js', '/health', '/no-such-route'])(
      'gives %s a policy without inline styles or data: URLs',
      async (path) => {
        const res = await t.http().get(path);
        const policy = csp(res.headers['content-security-policy']);
        expect(policy['style-src']).toEqual(["'self'"]);
        expect(policy['img-src']).toEqual(["'self'", 'blob:']);
        expect(policy['font-src']).toEqual(["'self'"]);
        expect(policy['script-src']).toEqual(["'self'"]);
        expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
        expect(res.headers['content-security-policy']).not.toContain('data:');
      },
    );

    it.each(['/docs', '/docs/', '/docs/index.html'])(
      'lets Swagger UI at %s style itself inline and show data: images, and nothing more',
      async (path) => {
        const res = await t.http().get(path).expect(200);
        const policy = csp(res.headers['content-security-policy']);
        expect(policy['style-src']).toEqual(["'self'", "'unsafe-inline'"]);
        expect(policy['img-src']).toEqual(["'self'", 'data:']);
        expect(policy['script-src']).toEqual(["'self'"]);
        expect(policy['frame-ancestors']).toEqual(["'none'"]);
        expect(policy['default-src']).toEqual(["'self'"]);
      },
    );
  });

  describe('time-outs for slow clients', () => {
    // Their effect is tested with short values in general-timeouts.e2e-spec.ts; here, that the defaults are in force.
    it('holds a request to 30 s, its headers to 10 s and an idle kept-alive connection to 10 s', () => {
      const server = t.app.getHttpServer() as Server;
      expect(server.requestTimeout).toBe(30_000);
      expect(server.headersTimeout).toBe(10_000);
      expect(server.keepAliveTimeout).toBe(10_000);
      // No idle time-out on the socket: it would cut answers that take long to come.
      expect(server.timeout).toBe(0);
    });
  });

  describe('request ids', () => {
    it('sends X-Request-Id on answers of every kind, streamed ones included', async () => {
      const me = await registerUser(t);
      const conversation = await t.http().post('/conversations').set(bearer(me.accessToken)).send({}).expect(201);
      const streamed = await t
        .http()
        .post(`/conversations/${conversation.body.id}/messages`)
        .set(bearer(me.accessToken))
        .set('Accept', 'text/event-stream')
        .set('X-Request-Id', 'client-trace-1')
        .send({ content: 'hello' })
        .expect(200);
      expect(streamed.headers['content-type']).toContain('text/event-stream');
      expect(streamed.headers['x-request-id']).toBe('client-trace-1');
      const tooLarge = await t
        .http()
        .post('/auth/login')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ email: 'x'.repeat(1100 * 1024) }))
        .expect(413);
      const ids = [tooLarge, await t.http().get('/no/such/route').expect(404)].map(
        (res) => res.headers['x-request-id'],
      );
      expect(ids).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/), expect.stringMatching(/^[0-9a-f-]{36}$/)]);
      expect(ids[0]).not.toBe(ids[1]);
    });
  });

  describe('unknown routes', () => {
    it.each([
      ['GET', '/no-such-route'],
      ['POST', '/auth/no-such-route'],
      ['DELETE', '/health'],
    ])('%s %s answers 404 in the error shape', async (method, path) => {
      const res = await t.http()[method.toLowerCase() as 'get' | 'post' | 'delete'](path);
      expect(res.status).toBe(404);
      expectErrorShape(res.body, 404, 'NOT_FOUND');
      expect(res.headers['content-type']).toContain('application/json');
    });
  });

  describe('CORS without CORS_ORIGINS', () => {
    it('allows no origin', async () => {
      const res = await t.http().get('/health').set('Origin', 'https://chat.example.com').expect(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('API documentation', () => {
    it('serves Swagger UI at /docs', async () => {
      const res = await t.http().get('/docs');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.text).toContain('swagger-ui');
    });

    it('serves the OpenAPI 3 document at /docs-json with the bearer scheme and every route', async () => {
      const res = await t.http().get('/docs-json');
      expect(res.status).toBe(200);
      const doc = res.body as {
        openapi: string;
        info: { description: string };
        components: { securitySchemes: Record<string, { type: string; scheme: string }> };
        paths: Record<string, Record<string, { security?: Record<string, string[]>[]; responses: object }>>;
      };

      expect(doc.openapi).toMatch(/^3\./);
      // The answers any route may give, before any route is found, are named once for all.
      for (const code of [
        'INVALID_JSON',
        'UNSUPPORTED_MEDIA_TYPE',
        'HEADERS_TOO_LARGE',
        'REQUEST_TIMEOUT',
        'SHUTTING_DOWN',
      ]) {
        expect(doc.info.description).toContain(code);
      }
      expect(Object.values(doc.components.securitySchemes)).toContainEqual(
        expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      );
      const schemeName = Object.keys(doc.components.securitySchemes)[0];

      const expected: [string, string[]][] = [
        ['/auth/register', ['post']],
        ['/auth/login', ['post']],
        ['/auth/refresh', ['post']],
        ['/auth/logout', ['post']],
        ['/auth/me', ['get']],
        ['/users/me', ['get', 'patch', 'delete']],
        ['/users/me/password', ['post']],
        ['/users', ['get']],
        ['/users/{id}', ['patch']],
        ['/health', ['get']],
      ];
      for (const [path, methods] of expected) {
        expect(doc.paths).toHaveProperty([path]);
        expect(Object.keys(doc.paths[path])).toEqual(expect.arrayContaining(methods));
      }

      // Protected routes name their scheme; the open ones say they need none.
      expect(doc.paths['/auth/me'].get.security).toContainEqual({ [schemeName]: [] });
      expect(doc.paths['/users'].get.security).toContainEqual({ [schemeName]: [] });
      expect(doc.paths['/auth/login'].post.security).toEqual([]);
      expect(doc.paths['/health'].get.security).toEqual([]);
      // Error answers are documented.
      expect(doc.paths['/auth/register'].post.responses).toHaveProperty(['409']);
      expect(doc.paths['/users/{id}'].patch.responses).toHaveProperty(['403']);
      expect(doc.paths['/users/{id}'].patch.responses).toHaveProperty(['404']);
      // Routes that hash a password may be busy; every route may answer 429, each saying what it counts.
      const responses = (path: string, method: string) =>
        doc.paths[path][method].responses as Record<string, { description: string }>;
      for (const [path, method] of [
        ['/auth/register', 'post'],
        ['/auth/login', 'post'],
        ['/users/me/password', 'post'],
        ['/users/me', 'delete'],
      ]) {
        expect(responses(path, method)['503'].description).toContain('SERVER_BUSY');
      }
      expect(responses('/auth/register', 'post')['429'].description).toContain('TOO_MANY_REGISTRATIONS');
      expect(responses('/auth/login', 'post')['429'].description).toContain('TOO_MANY_LOGIN_ATTEMPTS');
      expect(responses('/users/me/password', 'post')['429'].description).toContain('TOO_MANY_PASSWORD_ATTEMPTS');
      expect(responses('/auth/me', 'get')['429'].description).toContain('TOO_MANY_AUTH_FAILURES');
      expect(responses('/users/me', 'get')['429'].description).toContain('TOO_MANY_AUTH_FAILURES');
      // Every body is held to BODY_LIMIT_BYTES, whichever route it is sent to.
      const withBody = Object.entries(doc.paths).flatMap(([path, operations]) =>
        Object.entries(operations)
          .filter(([, operation]) => 'requestBody' in operation)
          .map(([method]) => [path, method]),
      );
      expect(withBody.length).toBeGreaterThan(20);
      for (const [path, method] of withBody) expect(responses(path, method)).toHaveProperty(['413']);
      expect(responses('/auth/register', 'post')['413'].description).toContain('1048576 bytes');
      // An error answer names the codes the route gives it.
      for (const [path, method, status, code] of [
        ['/users/me/api-keys', 'post', '409', 'TOO_MANY_API_KEYS'],
        ['/users/me/api-keys/{id}', 'delete', '404', 'API_KEY_NOT_FOUND'],
        ['/auth/sessions/{id}', 'delete', '404', 'SESSION_NOT_FOUND'],
        ['/users/{id}', 'patch', '400', 'CANNOT_CHANGE_OWN_ACCESS'],
        ['/users/{id}', 'patch', '409', 'LAST_ADMIN'],
        ['/users/me', 'delete', '409', 'LAST_ADMIN'],
        ['/users/{id}', 'patch', '403', 'FORBIDDEN'],
        ['/users/{id}', 'patch', '404', 'USER_NOT_FOUND'],
        ['/admin/quotas/{id}', 'delete', '404', 'QUOTA_NOT_FOUND'],
        ['/conversations/{id}/generations/{generationId}/events', 'get', '400', 'INVALID_EVENT_ID'],
        ['/admin/audit', 'get', '400', 'INVALID_DATE_RANGE'],
        ['/admin/usage', 'get', '400', 'INVALID_DATE_RANGE'],
        ['/users/me/usage', 'get', '400', 'INVALID_DATE_RANGE'],
        ['/users/{id}/usage', 'get', '400', 'INVALID_DATE_RANGE'],
      ]) {
        expect(responses(path, method)[status].description).toContain(code);
      }
      // A 401 names the codes the route answers: a wrong password is not a token to refresh.
      expect(responses('/auth/login', 'post')['401'].description).toContain('INVALID_CREDENTIALS');
      expect(responses('/auth/login', 'post')['401'].description).toContain('ACCOUNT_DISABLED');
      expect(responses('/auth/login', 'post')['401'].description).not.toContain('TOKEN_EXPIRED');
      for (const path of ['/auth/refresh', '/auth/logout']) {
        expect(responses(path, 'post')['401'].description).toContain('SESSION_REVOKED');
        expect(responses(path, 'post')['401'].description).not.toContain('TOKEN_EXPIRED');
      }
      expect(responses('/users/me/password', 'post')['401'].description).toContain('INVALID_CREDENTIALS');
      expect(responses('/users/me', 'delete')['401'].description).toContain('INVALID_CREDENTIALS');
    });

    it('serves the OpenAPI document as YAML at /docs-yaml', async () => {
      const res = await t.http().get('/docs-yaml').expect(200);
      expect(res.text).toMatch(/^openapi: 3\./m);
    });

    it('needs no token', async () => {
      const session = await registerUser(t);
      const open = await t.http().get('/docs-json');
      const signedIn = await t.http().get('/docs-json').set(bearer(session.accessToken));
      expect(open.status).toBe(200);
      expect(signedIn.body).toEqual(open.body);
    });
  });
});
