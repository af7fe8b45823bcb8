import type { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { RedisProviderCooldowns } from '../../src/ai/provider-cooldowns';
import { RedisService } from '../../src/common/redis/redis.service';
import type { appConfig } from '../../src/config/app.config';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream';
import { bearer, registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { describeProviderCooldowns } from '../support/provider-cooldowns.contract';
import { upstreamEnv } from '../support/upstream-env';

const redis = new RedisService({
  redisUrl: process.env.TEST_REDIS_URL!,
  redisKeyPrefix: `colloquy-test-${randomUUID()}:`,
} as ConfigType<typeof appConfig>);
afterAll(() => redis.onApplicationShutdown());

describeProviderCooldowns('RedisProviderCooldowns', (options) => new RedisProviderCooldowns(redis, options));

/**
 * Two apps on one database and one Redis, as two server processes: a provider paused after failing on A is
 * skipped on B too, which hands the call to the fallback without calling the paused provider.
 */
describe('Provider cool-downs across processes (REDIS_URL)', () => {
  let upstream: FakeUpstream;
  let a: TestApp;
  let b: TestApp;
  let token: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    const env = upstreamEnv(upstream, {
      AI_RETRIES: '0',
      AI_COOLDOWN_FAILURES: '1',
      AI_COOLDOWN_MS: '600000',
      MODEL_FALLBACKS: 'openai/gpt-4o=anthropic/claude-sonnet-4-5',
      REDIS_URL: process.env.TEST_REDIS_URL!,
      REDIS_KEY_PREFIX: `test-${randomUUID()}:`,
    });
    a = await createTestApp(env);
    b = await createTestApp(env, { databaseUrl: a.databaseUrl });
    token = (await registerUser(a)).accessToken;
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await upstream?.close();
  });

  const chats = () =>
    upstream.requests
      .filter((request) => request.method === 'POST')
      .map((request) => `${request.path} ${(request.body as { model?: string }).model}`);
  const sendOn = async (app: TestApp, model: string, status: number) => {
    const created = await app.http().post('/conversations').set(bearer(token)).send({ model }).expect(201);
    return app
      .http()
      .post(`/conversations/${(created.body as { id: string }).id}/messages`)
      .set(bearer(token))
      .send({ content: 'Up?' })
      .expect(status);
  };

  it('pauses the provider for every process: B skips it without calling it', async () => {
    // A: the OpenAI call fails, which pauses OpenAI; the fallback answers.
    upstream.fail({ status: 503 });
    const onA = await sendOn(a, 'openai/gpt-4o', 201);
    expect(onA.body.assistantMessage).toMatchObject({ status: 'complete', servedBy: 'anthropic/claude-sonnet-4-5' });
    expect(chats()).toEqual(['/v1/chat/completions gpt-4o', '/v1/messages claude-sonnet-4-5']);

    // B: never calls OpenAI, goes straight to the fallback; and a model without one fails at once.
    upstream.reset();
    const onB = await sendOn(b, 'openai/gpt-4o', 201);
    expect(onB.body.assistantMessage).toMatchObject({ status: 'complete', servedBy: 'anthropic/claude-sonnet-4-5' });
    const paused = await sendOn(b, 'openai/gpt-4o-mini', 502);
    expect(paused.body).toMatchObject({
      statusCode: 502,
      code: 'UPSTREAM_UNAVAILABLE',
      message: expect.stringContaining('paused'),
    });
    expect(chats()).toEqual(['/v1/messages claude-sonnet-4-5']);
  });
});
