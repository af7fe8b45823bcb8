import type { ThrottlerStorage } from '@nestjs/throttler';

/**
 * What the request-budget storages (in memory, Redis) must do, run against each one. Date.now is replaced, so
 * the clock moves only when a test moves it; every test counts under keys of its own, since a Redis keeps what
 * earlier tests counted.
 */
export function describeThrottlerStorage(label: string, storage: () => ThrottlerStorage): void {
  describe(label, () => {
    let now: number;
    let run = 0;
    let key: (client: string) => string;
    beforeEach(() => {
      now = 1_800_000_000_000;
      jest.spyOn(Date, 'now').mockImplementation(() => now);
      const prefix = `test${++run}`;
      key = (client) => `${prefix}:default:${client}`;
    });
    afterEach(() => jest.restoreAllMocks());

    const increment = (store: ThrottlerStorage, client: string, ttl: number, limit: number, block: number) =>
      store.increment(key(client), ttl, limit, block, 'default');

    it('allows `limit` requests a window, then blocks with the time left, then starts over', async () => {
      const store = storage();
      for (let i = 1; i <= 3; i++) {
        expect(await increment(store, 'ip:a', 60_000, 3, 60_000)).toMatchObject({
          totalHits: i,
          isBlocked: false,
          timeToBlockExpire: 0,
        });
      }
      now += 10_000;
      expect(await increment(store, 'ip:a', 60_000, 3, 60_000)).toEqual({
        totalHits: 4,
        timeToExpire: 50,
        isBlocked: true,
        timeToBlockExpire: 60,
      });
      now += 59_000;
      expect((await increment(store, 'ip:a', 60_000, 3, 60_000)).isBlocked).toBe(true);
      now += 1_000;
      expect(await increment(store, 'ip:a', 60_000, 3, 60_000)).toMatchObject({
        totalHits: 1,
        isBlocked: false,
      });
    });

    it('keeps clients apart', async () => {
      const store = storage();
      await increment(store, 'ip:a', 60_000, 1, 60_000);
      expect((await increment(store, 'ip:a', 60_000, 1, 60_000)).isBlocked).toBe(true);
      expect((await increment(store, 'ip:b', 60_000, 1, 60_000)).isBlocked).toBe(false);
    });

    it('starts a new window once the old one has passed', async () => {
      const store = storage();
      await increment(store, 'k', 1_000, 2, 1_000);
      await increment(store, 'k', 1_000, 2, 1_000);
      now += 1_000;
      expect(await increment(store, 'k', 1_000, 2, 1_000)).toMatchObject({ totalHits: 1, isBlocked: false });
    });

    it('blocks for the block duration when it is not the window', async () => {
      const store = storage();
      await increment(store, 'ip:a', 1_000, 1, 5_000);
      expect(await increment(store, 'ip:a', 1_000, 1, 5_000)).toMatchObject({ isBlocked: true, timeToBlockExpire: 5 });
      now += 4_000;
      expect(await increment(store, 'ip:a', 1_000, 1, 5_000)).toMatchObject({ isBlocked: true, timeToBlockExpire: 1 });
      now += 1_000;
      expect(await increment(store, 'ip:a', 1_000, 1, 5_000)).toMatchObject({ totalHits: 1, isBlocked: false });
    });

    it('lets no more than `limit` of many requests arriving at once through', async () => {
      const store = storage();

      const answers = await Promise.all(Array.from({ length: 10 }, () => increment(store, 'ip:a', 60_000, 3, 60_000)));

      expect(answers.filter((answer) => !answer.isBlocked)).toHaveLength(3);
    });
  });
}
