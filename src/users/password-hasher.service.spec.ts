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

describe('PasswordHasher', () => {
  it('runs at most cores - 1 hashes at once, queues the rest, and completes every one', async () => {
    const hasher = new PasswordHasher();
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
});
