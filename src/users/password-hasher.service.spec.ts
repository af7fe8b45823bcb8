import type { ConfigType } from '@nestjs/config';
import { ServerBusyError } from '../common/errors/app.error';
import type { authConfig } from '../config/auth.config';
import { PasswordHasher } from './password-hasher.service';

// Hashing itself is covered end to end (register, login); here argon2 is replaced to watch the concurrency.
const pending: (() => void)[] = [];
let running = 0;
let peak = 0;
jest.mock('argon2', () => ({
  argon2id: 2,
  hash: jest.fn(),
  verify: jest.fn(
    () =>
      new Promise<boolean>((resolve) => {
        running += 1;
        peak = Math.max(peak, running);
        pending.push(() => {
          running -= 1;
          resolve(true);
        });
      }),
  ),
}));
jest.mock('node:os', () => ({
  ...jest.requireActual<typeof import('node:os')>('node:os'),
  availableParallelism: () => 3,
}));

const tick = () => new Promise((resolve) => setImmediate(resolve));
const hasherWithQueue = (passwordHashQueue: number) =>
  new PasswordHasher({ passwordHashQueue } as ConfigType<typeof authConfig>);

describe('PasswordHasher', () => {
  it('runs at most cores - 1 hashes at once, queues the rest, and completes every one', async () => {
    const hasher = hasherWithQueue(5);
    const results = Array.from({ length: 7 }, () => hasher.verify('$argon2id$stored', 'pw'));

    for (let finished = 0; finished < 7; finished++) {
      await tick();
      expect(running).toBe(Math.min(2, 7 - finished));
      pending.shift()!();
    }

    await expect(Promise.all(results)).resolves.toEqual(Array(7).fill(true));
    expect(peak).toBe(2);
    expect(running).toBe(0);
  });

  it('refuses a hash at once with Retry-After when PASSWORD_HASH_QUEUE are already waiting', async () => {
    const hasher = hasherWithQueue(3);
    const accepted = Array.from({ length: 5 }, () => hasher.verify('$argon2id$stored', 'pw'));
    await tick();

    const refused = hasher.verify('$argon2id$stored', 'pw');

    const error: unknown = await refused.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServerBusyError);
    expect((error as ServerBusyError).code).toBe('SERVER_BUSY');
    expect((error as ServerBusyError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // Once one finishes there is room again.
    pending.shift()!();
    await tick();
    const later = hasher.verify('$argon2id$stored', 'pw');
    while (pending.length > 0) {
      pending.shift()!();
      await tick();
    }
    await expect(Promise.all([...accepted, later])).resolves.toEqual(Array(6).fill(true));
  });
});
