import { WindowThrottlerStorage } from './window-throttler.storage';

describe('WindowThrottlerStorage', () => {
  let now: number;
  beforeEach(() => {
    now = 1_800_000_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterEach(() => jest.restoreAllMocks());

  it('allows `limit` requests a window, then blocks with the time left, then starts over', async () => {
    const storage = new WindowThrottlerStorage();
    for (let i = 1; i <= 3; i++) {
      expect(await storage.increment('default:ip:a', 60_000, 3, 60_000)).toMatchObject({
        totalHits: i,
        isBlocked: false,
        timeToBlockExpire: 0,
      });
    }
    now += 10_000;
    expect(await storage.increment('default:ip:a', 60_000, 3, 60_000)).toEqual({
      totalHits: 4,
      timeToExpire: 50,
      isBlocked: true,
      timeToBlockExpire: 60,
    });
    now += 59_000;
    expect((await storage.increment('default:ip:a', 60_000, 3, 60_000)).isBlocked).toBe(true);
    now += 1_000;
    expect(await storage.increment('default:ip:a', 60_000, 3, 60_000)).toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
  });

  it('keeps clients apart', async () => {
    const storage = new WindowThrottlerStorage();
    await storage.increment('default:ip:a', 60_000, 1, 60_000);
    expect((await storage.increment('default:ip:a', 60_000, 1, 60_000)).isBlocked).toBe(true);
    expect((await storage.increment('default:ip:b', 60_000, 1, 60_000)).isBlocked).toBe(false);
  });

  it('starts a new window once the old one has passed', async () => {
    const storage = new WindowThrottlerStorage();
    await storage.increment('k', 1_000, 2, 1_000);
    await storage.increment('k', 1_000, 2, 1_000);
    now += 1_000;
    expect(await storage.increment('k', 1_000, 2, 1_000)).toMatchObject({ totalHits: 1, isBlocked: false });
  });
});
