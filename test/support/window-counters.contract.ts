import type { WindowCounters } from '../../src/common/throttling/window-counters';

const T0 = Date.UTC(2025, 0, 1);
const WINDOW_MS = 60_000;

/**
 * What every WindowCounters implementation must do, run against each one (in memory in a unit spec, Redis in a
 * *.redis-e2e-spec). Every test names its counters afresh: a Redis keeps what earlier tests counted.
 */
export function describeWindowCounters(label: string, counters: () => WindowCounters): void {
  let created = 0;
  const create = (limit: number, sliding = false) =>
    counters().create({ name: `contract-${++created}`, limit, windowMs: WINDOW_MS, sliding });

  describe(`${label}: fixed windows`, () => {
    it('takes `limit` events a window, then refuses with the time left, counting nothing, then starts over', async () => {
      const counter = create(3);
      for (let i = 0; i < 3; i++) expect(await counter.take('a', T0 + i)).toBe(0);

      expect(await counter.take('a', T0 + 10_000)).toBe(50);
      expect(await counter.take('a', T0 + 59_999)).toBe(1);
      expect(await counter.retryAfterSeconds('a', T0 + 10_000)).toBe(50);
      expect(await counter.take('b', T0 + 10_000)).toBe(0);
      expect(await counter.retryAfterSeconds('a', T0 + 60_000)).toBe(0);
      expect(await counter.take('a', T0 + 60_000)).toBe(0);
      expect(await counter.take('a', T0 + 60_001)).toBe(0);
      expect(await counter.take('a', T0 + 60_002)).toBe(0);
      expect(await counter.take('a', T0 + 60_003)).toBe(60);
    });

    it('counts a hit whatever the allowance, and takes one back', async () => {
      const counter = create(2);
      await counter.hit('a', T0);
      await counter.hit('a', T0 + 1);
      await counter.hit('a', T0 + 2);
      await counter.undo('a', T0 + 3);
      expect(await counter.retryAfterSeconds('a', T0 + 4)).toBe(60);

      await counter.undo('a', T0 + 5);

      expect(await counter.retryAfterSeconds('a', T0 + 6)).toBe(0);
    });

    it('does not take back below nothing, nor into a window that has ended', async () => {
      const counter = create(1);
      await counter.undo('a', T0);
      await counter.undo('a', T0);
      await counter.hit('a', T0);
      expect(await counter.take('a', T0 + 1)).toBe(60);

      await counter.undo('a', T0 + WINDOW_MS);
      await counter.hit('a', T0 + WINDOW_MS);

      expect(await counter.take('a', T0 + WINDOW_MS + 1)).toBe(60);
    });

    it('forgets a key when cleared', async () => {
      const counter = create(1);
      await counter.hit('a', T0);
      await counter.hit('b', T0);

      await counter.clear('a');

      expect(await counter.take('a', T0 + 1)).toBe(0);
      expect(await counter.retryAfterSeconds('b', T0 + 1)).toBe(60);
    });

    it('keeps counters of different names apart', async () => {
      const first = create(1);
      const second = create(1);
      await first.hit('a', T0);

      expect(await second.take('a', T0 + 1)).toBe(0);
      expect(await first.take('a', T0 + 1)).toBe(60);
    });

    it('lets no more than `limit` of many events taken at once through', async () => {
      const counter = create(3);

      const answers = await Promise.all(Array.from({ length: 10 }, () => counter.take('a', T0)));

      expect(answers.filter((retryAfter) => retryAfter === 0)).toHaveLength(3);
    });
  });

  describe(`${label}: sliding windows`, () => {
    const fail = async (counter: ReturnType<typeof create>, times: number, key = 'a') => {
      for (let i = 0; i < times; i++) expect(await counter.take(key, T0 + i * 1000)).toBe(0);
    };

    it('refuses at `limit`, until the oldest event leaves the window, with Retry-After rounded up', async () => {
      const counter = create(3, true);
      await fail(counter, 3); // at T0, T0+1s, T0+2s

      expect(await counter.take('a', T0 + 10_000)).toBe(50);
      expect(await counter.retryAfterSeconds('a', T0 + 10_000)).toBe(50);
      expect(await counter.retryAfterSeconds('a', T0 + 59_999)).toBe(1);
      // 57.5 seconds left: a client told 57 would come back too early.
      expect(await counter.retryAfterSeconds('a', T0 + 2_500)).toBe(58);
      expect(await counter.retryAfterSeconds('b', T0 + 10_000)).toBe(0);
    });

    it('slides: once the oldest event has left the window, one more is taken', async () => {
      const counter = create(3, true);
      await fail(counter, 3);

      expect(await counter.take('a', T0 + WINDOW_MS)).toBe(0);

      // T0+1s is now the oldest of three.
      expect(await counter.take('a', T0 + WINDOW_MS + 1)).toBe(1);
    });

    it('takes back the latest event, and forgets a key when cleared', async () => {
      const counter = create(2, true);
      await counter.hit('a', T0);
      await counter.hit('a', T0 + 1_000);
      expect(await counter.retryAfterSeconds('a', T0 + 2_000)).toBe(58);

      await counter.undo('a', T0 + 2_000);
      expect(await counter.retryAfterSeconds('a', T0 + 2_000)).toBe(0);
      await counter.hit('a', T0 + 30_000);
      expect(await counter.retryAfterSeconds('a', T0 + 30_000)).toBe(30);

      await counter.clear('a');
      expect(await counter.retryAfterSeconds('a', T0 + 30_000)).toBe(0);
    });

    it('lets no more than `limit` of many events taken at once through', async () => {
      const counter = create(3, true);

      const answers = await Promise.all(Array.from({ length: 10 }, () => counter.take('a', T0)));

      expect(answers.filter((retryAfter) => retryAfter === 0)).toHaveLength(3);
    });
  });
}
