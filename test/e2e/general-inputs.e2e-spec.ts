import { Logger } from '@nestjs/common';
import { connect } from 'node:net';
import { bearer, registerAdmin, registerUser, uniqueEmail } from '../support/auth';
import { createApiKey } from '../support/api-keys';
import { createTestApp, TestApp } from '../support/create-test-app';

/** Sends `bytes` on a new connection and resolves with everything the server wrote before it closed. */
function rawExchange(url: string, bytes: Buffer): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}

/** `{"key": [[[ ... ]]]}` with `levels` brackets in all, written by hand: JSON.stringify would recurse as deep. */
function nested(key: string, levels: number, inner = '"x"'): string {
  return `{"${key}":${'['.repeat(levels - 1)}${inner}${']'.repeat(levels - 1)}}`;
}

describe('Request text and structure that no route can use', () => {
  let t: TestApp;
  let token: string;
  let apiKey: string;
  let errorLog: jest.SpyInstance;

  beforeAll(async () => {
    t = await createTestApp();
    // Called through, so that only what the server would have written is observed: these are the client's
    // mistakes, and none of them may be logged as a server error with its stack.
    errorLog = jest.spyOn(Logger.prototype, 'error');
  });
  afterAll(async () => {
    errorLog.mockRestore();
    await t.close();
  });
  beforeEach(async () => {
    errorLog.mockClear();
    token = (await registerUser(t)).accessToken;
    apiKey = (await createApiKey(t, token)).key;
  });
  afterEach(() => {
    expect(errorLog).not.toHaveBeenCalled();
  });

  const json = (method: 'post' | 'patch', path: string, body: string, auth?: string) => {
    const req = t.http()[method](path).set('Content-Type', 'application/json');
    return (auth ? req.set(bearer(auth)) : req).send(body);
  };

  function expectError(res: { status: number; body: unknown }, code: string, message: RegExp) {
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(message), code });
  }

  function expectOpenAiError(res: { status: number; body: unknown }, code: string, param: string | null = null) {
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: { message: expect.any(String), type: 'invalid_request_error', param, code },
    });
  }

  describe('nesting', () => {
    it('refuses a body nested 10,000 levels deep with 400 JSON_TOO_DEEP, signed in or not', async () => {
      expectError(await json('post', '/auth/login', nested('email', 10_000)), 'JSON_TOO_DEEP', /64/);
      expectError(await json('post', '/auth/register', nested('password', 10_000)), 'JSON_TOO_DEEP', /64/);
      expectError(await json('post', '/conversations', nested('title', 10_000), token), 'JSON_TOO_DEEP', /64/);
      expectError(await json('patch', '/users/me', nested('settings', 3_000, '{}'), token), 'JSON_TOO_DEEP', /64/);
      // Objects count like arrays.
      const objects = `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`;
      expectError(await json('post', '/auth/refresh', objects), 'JSON_TOO_DEEP', /64/);
    });

    it('answers it in OpenAI’s shape under /v1', async () => {
      const res = await json('post', '/v1/chat/completions', nested('messages', 10_000), apiKey);
      expectOpenAiError(res, 'json_too_deep');
    });

    it('takes 64 levels and refuses 65', async () => {
      // {"settings": {"a": {"a": ... }}} : the outer object is level 1.
      const body = (levels: number) => `{"settings":${'{"a":'.repeat(levels - 2)}{}${'}'.repeat(levels - 2)}}`;
      const ok = await json('patch', '/users/me', body(64), token);
      expect(ok.status).toBe(200);
      expectError(await json('patch', '/users/me', body(65), token), 'JSON_TOO_DEEP', /64/);
    });

    it('does not count brackets inside strings, escaped quotes included', async () => {
      const displayName = `\\"${'['.repeat(90)}\\\\`;
      const res = await json('patch', '/users/me', `{"displayName":"${displayName}"}`, token);
      expect(res.status).toBe(200);
      expect(res.body.displayName).toBe(`"${'['.repeat(90)}\\`);
    });
  });

  describe('media types', () => {
    it.each(['application/x-www-form-urlencoded', 'text/plain; charset=utf-8'])(
      'refuses a body sent as %s with 415, as a cross-site form would send it, in both dialects',
      async (type) => {
        const login = await t
          .http()
          .post('/auth/register')
          .set('Content-Type', type)
          .send(type.startsWith('text') ? JSON.stringify({ email: uniqueEmail(), password: 'long enough 1' }) : 'a=b')
          .expect(415);
        expect(login.body).toEqual({
          statusCode: 415,
          error: 'Unsupported Media Type',
          message: expect.stringContaining('send JSON'),
          code: 'UNSUPPORTED_MEDIA_TYPE',
        });
        const v1 = await t
          .http()
          .post('/v1/chat/completions')
          .set(bearer(apiKey))
          .set('Content-Type', type)
          .send('x=1');
        expect(v1.status).toBe(415);
        expect(v1.body.error).toMatchObject({
          type: 'invalid_request_error',
          message: expect.stringContaining('JSON'),
        });
      },
    );

    it('takes a request without a body whatever its Content-Type says', async () => {
      await t
        .http()
        .delete('/users/me/api-keys/00000000-0000-0000-0000-000000000000')
        .set(bearer(token))
        .set('Content-Type', 'text/plain')
        .expect(404);
    });
  });

  describe('width', () => {
    const wide = (members: number, prefix = 'k') =>
      JSON.stringify(Object.fromEntries(Array.from({ length: members }, (_, i) => [`${prefix}${i}`, 1])));

    it('refuses an object of 70,000 fields at once with 400 TOO_MANY_FIELDS, in a body or a query', async () => {
      const startedAt = Date.now();
      expectError(await json('post', '/auth/login', wide(70_000)), 'TOO_MANY_FIELDS', /^body has more than 1000/);
      const query = Array.from({ length: 1_001 }, (_, i) => `f${i}=1`).join('&');
      const listed = await t.http().get(`/conversations?${query}`).set(bearer(token));
      expect(listed.body).toMatchObject({ statusCode: 400, code: 'TOO_MANY_FIELDS' });
      // It used to hold the whole server for about ten seconds.
      expect(Date.now() - startedAt).toBeLessThan(3_000);
    });

    it('names the wide object, and answers in OpenAI’s shape under /v1', async () => {
      const settings = `{"settings":{"shortcuts":${wide(1_001)}}}`;
      expectError(await json('patch', '/users/me', settings, token), 'TOO_MANY_FIELDS', /body\.settings\.shortcuts/);
      const schema = `{"type":"object","properties":${wide(1_001, 'p')}}`;
      const body = `{"model":"echo/echo","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${schema}}}]}`;
      expectOpenAiError(await json('post', '/v1/chat/completions', body, apiKey), 'too_many_fields');
    });

    it('takes 1,000 fields', async () => {
      const res = await json('patch', '/users/me', `{"settings":${wide(1_000)}}`, token);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body.settings)).toHaveLength(1_000);
    });
  });

  describe('text', () => {
    it('refuses an unpaired surrogate in an email with 400 INVALID_TEXT, at login and registration', async () => {
      const body = '{"email":"x\\ud800y@example.com","password":"correct-horse-1"}';
      expectError(await json('post', '/auth/login', body), 'INVALID_TEXT', /email.*surrogate/);
      expectError(await json('post', '/auth/register', body), 'INVALID_TEXT', /email.*surrogate/);
    });

    it('never lets two passwords collide: unpaired surrogates are refused, pairs are kept', async () => {
      const email = uniqueEmail('surrogate');
      const register = (password: string) =>
        json('post', '/auth/register', `{"email":"${email}","password":"${password}"}`);
      expectError(await register('pass\\udc00word-12'), 'INVALID_TEXT', /password.*surrogate/);
      expect(await t.query('SELECT id FROM users WHERE email = ?', [email])).toEqual([]);

      // A well-formed pair (an emoji) is a character like any other, and is not its replacement.
      expect((await register('pass\\ud83d\\ude00word-12')).status).toBe(201);
      const login = (password: string) => json('post', '/auth/login', `{"email":"${email}","password":"${password}"}`);
      expect((await login('pass😀word-12')).status).toBe(200);
      expect((await login('pass\\ufffd\\ufffdword-12')).status).toBe(401);
      expectError(await login('pass\\ud800word-12'), 'INVALID_TEXT', /password/);
    });

    it('refuses a body that is not UTF-8 rather than replacing its bytes', async () => {
      const email = uniqueEmail('bytes');
      const body = Buffer.concat([
        Buffer.from(`{"email":"${email}","password":"pass`),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from('word-12"}'),
      ]);
      // Sent as it is: supertest would serialise a Buffer as JSON.
      const res = await fetch(`${t.url}/auth/register`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      });
      expectError({ status: res.status, body: await res.json() }, 'INVALID_TEXT', /UTF-8/);
      expect(await t.query('SELECT id FROM users WHERE email = ?', [email])).toEqual([]);
    });

    it('refuses NUL in a search query, on SQLite and PostgreSQL alike', async () => {
      const res = await t.http().get('/conversations?q=ab%00cd').set(bearer(token));
      expectError(res, 'INVALID_TEXT', /q.*NUL/);
      // A query parameter's name counts too.
      expectError(await t.http().get('/conversations?a%00=1').set(bearer(token)), 'INVALID_TEXT', /NUL/);
    });

    it('refuses NUL and unpaired surrogates in conversation and message text, storing nothing', async () => {
      expectError(await json('post', '/conversations', '{"title":"a\\u0000b"}', token), 'INVALID_TEXT', /title.*NUL/);
      expectError(await json('post', '/conversations', '{"title":"a\\udfffb"}', token), 'INVALID_TEXT', /title/);
      expectError(
        await json('post', '/conversations', '{"systemPrompt":"ok","title":"a\\ud800"}', token),
        'INVALID_TEXT',
        /title/,
      );
      const created = await json('post', '/conversations', '{"title":"fine"}', token).expect(201);
      const id = created.body.id as string;
      expectError(
        await json('post', `/conversations/${id}/messages`, '{"content":"hello\\u0000world"}', token),
        'INVALID_TEXT',
        /content.*NUL/,
      );
      expectError(await json('patch', `/conversations/${id}`, '{"title":"\\u0000"}', token), 'INVALID_TEXT', /title/);
      expect(await t.query('SELECT id FROM messages WHERE conversation_id = ?', [id])).toEqual([]);
      expect(await t.query('SELECT title FROM conversations WHERE id = ?', [id])).toEqual([{ title: 'fine' }]);
    });

    it('checks text at any depth, and field names as well as values', async () => {
      const settings = `{"settings":{"theme":{"names":["ok","a\\u0000"]}}}`;
      expectError(await json('patch', '/users/me', settings, token), 'INVALID_TEXT', /settings\.theme\.names\[1\]/);
      expectError(await json('patch', '/users/me', '{"settings":{"a\\ud800":1}}', token), 'INVALID_TEXT', /name/);
      expectError(await json('post', '/conversations', '{"ti\\u0000tle":"x"}', token), 'INVALID_TEXT', /NUL/);
    });

    it('checks route parameters too', async () => {
      expectError(await t.http().get('/conversations/ab%00cd').set(bearer(token)), 'INVALID_TEXT', /id.*NUL/);
    });

    it('answers in OpenAI’s shape under /v1, for message text and for route parameters', async () => {
      const body = JSON.stringify({ model: 'echo/echo', messages: [{ role: 'user', content: 'hi\u0000there' }] });
      // The field, as OpenAI's `param` names one.
      expectOpenAiError(
        await json('post', '/v1/chat/completions', body, apiKey),
        'invalid_text',
        'messages[0].content',
      );
      const surrogate = '{"model":"echo/echo","messages":[{"role":"user","content":"\\udc00"}]}';
      expectOpenAiError(
        await json('post', '/v1/chat/completions', surrogate, apiKey),
        'invalid_text',
        'messages[0].content',
      );
      expectOpenAiError(await t.http().get('/v1/models/echo%00echo').set(bearer(apiKey)), 'invalid_text');
    });

    it('still takes any well-formed text', async () => {
      const title = 'Ünïcödé, 中文, emoji 😀, and\ttabs\nnewlines';
      const res = await json('post', '/conversations', JSON.stringify({ title }), token).expect(201);
      expect(res.body.title).toBe(title);
      const found = await t
        .http()
        .get(`/conversations?q=${encodeURIComponent('😀')}`)
        .set(bearer(token));
      expect(found.status).toBe(200);
      expect(found.body.items.map((c: { id: string }) => c.id)).toEqual([res.body.id]);
    });
  });

  describe('null, wrong types and malformed ids', () => {
    /** A 400 VALIDATION_FAILED whose one message is about `field`, and what it says. */
    function expectInvalid(res: { status: number; body: unknown }, message: string) {
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: [message],
        code: 'VALIDATION_FAILED',
      });
    }

    it('refuses null in a change where the field cannot be empty, storing nothing', async () => {
      const admin = await registerAdmin(t);
      const other = await registerUser(t);
      const conversation = (await json('post', '/conversations', '{"title":"Kept"}', token).expect(201)).body;
      const patch = (path: string, body: object, auth = token) => json('patch', path, JSON.stringify(body), auth);

      expectInvalid(await patch('/users/me', { displayName: null }), 'displayName must be a string');
      expectInvalid(await patch('/users/me', { settings: null }), 'settings must be an object');
      expectInvalid(
        await patch(`/users/${other.user.id}`, { role: null }, admin.accessToken),
        'role must be one of the following values: user, admin',
      );
      expectInvalid(
        await patch(`/users/${other.user.id}`, { disabled: null }, admin.accessToken),
        'disabled must be a boolean value',
      );
      const path = `/conversations/${conversation.id}`;
      expectInvalid(await patch(path, { title: null }), 'title must be a string');
      expectInvalid(await patch(path, { title: ' \ufeff ' }), 'title should not be empty');
      expectInvalid(await patch(path, { model: null }), 'model must be a string');
      expectInvalid(await patch(path, { archived: null }), 'archived must be a boolean value');
      expectInvalid(await json('post', '/auth/refresh', '{"refreshToken":null}'), 'refreshToken must be a string');
      expectInvalid(await json('post', '/auth/logout', '{"refreshToken":null}'), 'refreshToken must be a string');
      const stored = (await t.http().get(path).set(bearer(token)).expect(200)).body;
      expect(stored).toMatchObject({ title: 'Kept', archived: false, model: conversation.model });
      // Where null means something, it still does: it removes the system prompt.
      await patch(path, { systemPrompt: 'Be brief' }).expect(200);
      expect((await patch(path, { systemPrompt: null }).expect(200)).body.systemPrompt).toBeNull();
    });

    it('takes null as "left out" when something is made, and never as a wider quota', async () => {
      const made = await json('post', '/conversations', '{"title":null,"model":null,"systemPrompt":null}', token);
      expect(made.status).toBe(201);
      expect(made.body).toMatchObject({ title: null, model: 'echo/echo', systemPrompt: null });

      const admin = await registerAdmin(t);
      const quota = (body: object) => json('post', '/admin/quotas', JSON.stringify(body), admin.accessToken);
      // A policy read back has nulls: posted again, it means the same.
      const listed = await quota({ scope: 'default', window: 'day', model: null, maxRequests: null, maxTokens: 5 });
      expect(listed.status).toBe(201);
      expect(listed.body).toMatchObject({
        scope: 'default',
        userId: null,
        model: null,
        maxRequests: null,
        maxTokens: 5,
      });
      // A quota for one person never turns into one for everyone, nor into one that limits nothing.
      for (const [body, message] of [
        [{ scope: 'user', userId: null, window: 'month', maxRequests: 7 }, /userId is required/],
        [{ scope: 'default', window: 'month', maxRequests: null, maxTokens: null }, /maxRequests, maxTokens or both/],
      ] as const) {
        const res = await quota(body);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(message) });
      }
      const policies = (await t.http().get('/admin/quotas').set(bearer(admin.accessToken)).expect(200)).body.items;
      expect(policies.map((p: { id: string }) => p.id)).toEqual([listed.body.id]);
      await t.http().delete(`/admin/quotas/${listed.body.id}`).set(bearer(admin.accessToken)).expect(204);
    });

    it('names the first broken rule of a field: its type before its length', async () => {
      const register = await json('post', '/auth/register', '{}');
      expect(register.status).toBe(400);
      expect(register.body.message).toEqual(['email must be an email', 'password must be a string']);
      expectInvalid(await json('patch', '/users/me', '{"displayName":5}', token), 'displayName must be a string');
      expectInvalid(
        await json('patch', '/users/me', '{"displayName":"   "}', token),
        'displayName should not be empty',
      );
      expectInvalid(
        await t.http().get('/conversations?limit=abc').set(bearer(token)),
        'limit must be an integer number',
      );
      expectInvalid(
        await t.http().get('/conversations?limit=500').set(bearer(token)),
        'limit must not be greater than 100',
      );
    });

    it('refuses an id that is not a UUID like any other invalid field, and finds one written in capitals, anywhere', async () => {
      expectInvalid(await t.http().get('/conversations/abc').set(bearer(token)), 'id must be a UUID');
      expectInvalid(await t.http().delete('/files/abc').set(bearer(token)), 'id must be a UUID');
      const id = (await json('post', '/conversations', '{"title":"Capitals"}', token).expect(201)).body.id as string;
      const found = await t.http().get(`/conversations/${id.toUpperCase()}`).set(bearer(token)).expect(200);
      expect(found.body).toMatchObject({ id, title: 'Capitals' });
      // In a body or a query as well.
      const sent = (await json('post', `/conversations/${id}/messages`, '{"content":"First"}', token).expect(201)).body;
      const answer = sent.assistantMessage.id as string;
      const again = await json(
        'post',
        `/conversations/${id}/messages`,
        JSON.stringify({ content: 'Again', parentId: answer.toUpperCase() }),
        token,
      );
      expect(again.status).toBe(201);
      expect(again.body.userMessage.parentId).toBe(answer);
      const leaf = await t
        .http()
        .put(`/conversations/${id}/current-leaf`)
        .set(bearer(token))
        .send({ messageId: answer.toUpperCase() });
      expect(leaf.status).toBe(200);
      expect(leaf.body.currentLeafId).toBe(again.body.assistantMessage.id);
      const page = await t
        .http()
        .get(`/conversations/${id}/messages?leafId=${answer.toUpperCase()}`)
        .set(bearer(token));
      expect(page.status).toBe(200);
      expect(page.body.items.map((m: { content: string }) => m.content)).toEqual(['First', 'First']);
    });

    it('answers a path the router refuses in the API’s shape, and in OpenAI’s under /v1', async () => {
      const malformed = await t.http().get('/conversations/%ZZ').set(bearer(token)).expect(400);
      expect(malformed.headers['x-request-id']).toBeDefined();
      expect(malformed.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: "the URL's path is not valid: a % must be followed by two hexadecimal digits",
        code: 'BAD_REQUEST',
      });
      const tooLong = await t
        .http()
        .get(`/conversations/${'a'.repeat(501)}`)
        .set(bearer(token))
        .expect(414);
      expect(tooLong.body).toMatchObject({
        code: 'URI_TOO_LONG',
        message: "a part of the URL's path is longer than 500 characters",
      });
      const v1 = await t
        .http()
        .get(`/v1/models/${'a'.repeat(501)}`)
        .set(bearer(apiKey))
        .expect(414);
      expect(v1.body).toEqual({
        error: {
          message: "a part of the URL's path is longer than 500 characters",
          type: 'invalid_request_error',
          param: null,
          code: 'uri_too_long',
        },
      });
      // A long model name is routed and looked up like any other (Fastify's own limit was 100 characters).
      const unknown = await t
        .http()
        .get(`/v1/models/echo%2F${'x'.repeat(200)}`)
        .set(bearer(apiKey))
        .expect(404);
      expect(unknown.body.error).toMatchObject({ type: 'invalid_request_error', code: 'model_not_found' });
      // The limit is the router's, per part: an id of normal length is still checked by its route.
      expectInvalid(
        await t
          .http()
          .get(`/conversations/${'a'.repeat(500)}`)
          .set(bearer(token)),
        'id must be a UUID',
      );
    });

    it('answers a request the HTTP parser cannot read in the API’s shape, with a code', async () => {
      const nonAscii = await rawExchange(
        t.url,
        Buffer.concat([
          Buffer.from('GET /conversations?q='),
          Buffer.from('é'),
          Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n'),
        ]),
      );
      expect(nonAscii).toMatch(/^HTTP\/1\.1 400 /);
      expect(JSON.parse(nonAscii.slice(nonAscii.indexOf('\r\n\r\n') + 4))).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.stringContaining('percent-encoded'),
        code: 'BAD_REQUEST',
      });
      const hugeHeaders = await rawExchange(
        t.url,
        Buffer.from(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(20_000)}\r\n\r\n`),
      );
      expect(hugeHeaders).toMatch(/^HTTP\/1\.1 431 /);
      expect(JSON.parse(hugeHeaders.slice(hugeHeaders.indexOf('\r\n\r\n') + 4))).toMatchObject({
        statusCode: 431,
        code: 'HEADERS_TOO_LARGE',
      });
      // The security headers of every other answer, as an ordinary 404 has them.
      const head = (raw: string) => raw.slice(0, raw.indexOf('\r\n\r\n')).toLowerCase();
      const ordinary = await t.http().get('/no-such-route').expect(404);
      for (const name of ['content-security-policy', 'x-content-type-options', 'x-frame-options', 'referrer-policy']) {
        const line = `\r\n${name}: ${String(ordinary.headers[name]).toLowerCase()}\r\n`;
        expect(`${head(nonAscii)}\r\n`).toContain(line);
        expect(`${head(hugeHeaders)}\r\n`).toContain(line);
      }
    });

    it('lists every conversation for an empty search, as a cleared search box sends it', async () => {
      const id = (await json('post', '/conversations', '{"title":"Anything"}', token).expect(201)).body.id;
      const res = await t.http().get('/conversations?q=').set(bearer(token)).expect(200);
      expect(res.body.items.map((c: { id: string }) => c.id)).toEqual([id]);
    });

    it('refuses an array where /v1 takes an object, in OpenAI’s shape', async () => {
      const hi = [{ role: 'user', content: 'hi' }];
      for (const [param, body] of [
        ['messages', { messages: [[]] }],
        ['response_format', { messages: hi, response_format: [] }],
        ['stream_options', { messages: hi, stream_options: [], stream: true }],
        ['tools', { messages: hi, tools: [[]] }],
      ] as const) {
        const res = await json('post', '/v1/chat/completions', JSON.stringify({ model: 'echo/echo', ...body }), apiKey);
        expect(res.status).toBe(400);
        expect(res.body.error).toMatchObject({ type: 'invalid_request_error', param, code: 'validation_failed' });
      }
    });
  });
});
