import { bearer, registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { ANTHROPIC_KEY, OPENAI_KEY, upstreamEnv } from '../support/upstream-env';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream';

describe('GET /ai/models', () => {
  let upstream: FakeUpstream;
  let t: TestApp;

  beforeAll(async () => {
    upstream = await startFakeUpstream({ models: { openai: ['gpt-4o-mini'], anthropic: ['claude-sonnet-4-5'] } });
    t = await createTestApp(upstreamEnv(upstream));
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });

  it('lists the configured providers’ models, then echo/echo, without any key', async () => {
    const { accessToken } = await registerUser(t);

    const res = await t.http().get('/ai/models').set(bearer(accessToken)).expect(200);

    expect(res.body).toEqual({
      items: [
        { id: 'openai/gpt-4o-mini', provider: 'openai', name: 'gpt-4o-mini' },
        { id: 'anthropic/claude-sonnet-4-5', provider: 'anthropic', name: 'claude-sonnet-4-5' },
        { id: 'echo/echo', provider: 'echo', name: 'echo' },
      ],
    });
    expect(res.text).not.toContain(OPENAI_KEY);
    expect(res.text).not.toContain(ANTHROPIC_KEY);
    const lists = upstream.requests.filter((request) => request.path === '/v1/models');
    expect(lists.map((request) => request.headers.authorization ?? request.headers['x-api-key'])).toEqual(
      expect.arrayContaining([`Bearer ${OPENAI_KEY}`, ANTHROPIC_KEY]),
    );
  });

  it('answers 401 without a token', async () => {
    const res = await t.http().get('/ai/models').expect(401);

    expect(res.body).toMatchObject({ statusCode: 401, code: 'INVALID_TOKEN' });
  });

  it('is described in the OpenAPI document', async () => {
    const res = await t.http().get('/docs-json').expect(200);

    expect(res.body.paths['/ai/models'].get).toMatchObject({ tags: ['ai'], security: [{ bearer: [] }] });
    expect(Object.keys(res.body.paths['/ai/models'].get.responses)).toEqual(
      expect.arrayContaining(['200', '401', '429']),
    );
  });
});
