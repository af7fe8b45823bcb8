import type { ConfigType } from '@nestjs/config';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { RedisService } from '../../src/common/redis/redis.service';
import type { appConfig } from '../../src/config/app.config';

// A prefix of this file's own: other files may use the same Redis at the same time.
const PREFIX = `colloquy-test-${randomBytes(6).toString('hex')}:`;

describe('Redis at shutdown', () => {
  const check = new Redis(process.env.TEST_REDIS_URL!);
  afterAll(async () => {
    await check.del(`${PREFIX}big`, `${PREFIX}last`);
    await check.quit();
  });

  it('sends every command issued before it closes, even those held behind a write still in flight', async () => {
    const service = new RedisService({
      redisUrl: process.env.TEST_REDIS_URL!,
      redisKeyPrefix: PREFIX,
    } as ConfigType<typeof appConfig>);
    const client = service.client;
    await client.ping();
    // ioredis runs one auto-pipeline at a time: while this large write is on its way, later commands wait for it,
    // as the last writes of a shutdown (the ends of the generations it cut) can wait behind the deltas before them.
    const big = client.set(service.key('big'), 'x'.repeat(32 * 1024 * 1024));
    await new Promise((resolve) => setImmediate(resolve));
    const last = client.set(service.key('last'), 'written');

    await service.onApplicationShutdown();

    await expect(big).resolves.toBe('OK');
    await expect(last).resolves.toBe('OK');
    expect(await check.get(service.key('last'))).toBe('written');
  });
});
