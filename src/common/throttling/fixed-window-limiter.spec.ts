import { FixedWindowLimiter } from './fixed-window-limiter';

describe('FixedWindowLimiter', () => {
  it('allows `limit` events per window, then says how long to wait until the window ends', () => {
    const limiter = new FixedWindowLimiter(3, 60_000);
    const start = 1_000_000;

    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfterSeconds('a', start + i)).toBe(0);
      limiter.hit('a', start + i);
    }

    expect(limiter.retryAfterSeconds('a', start + 10_000)).toBe(50);
    expect(limiter.retryAfterSeconds('a', start + 59_999)).toBe(1);
    expect(limiter.retryAfterSeconds('b', start + 10_000)).toBe(0);
    expect(limiter.retryAfterSeconds('a', start + 60_000)).toBe(0);
    expect(limiter.hit('a', start + 60_000)).toBe(1);
  });

  it('takes an event back', () => {
    const limiter = new FixedWindowLimiter(2, 60_000);
    limiter.hit('a', 0);
    limiter.hit('a', 1);
    expect(limiter.retryAfterSeconds('a', 2)).toBeGreaterThan(0);

    limiter.undo('a', 3);

    expect(limiter.retryAfterSeconds('a', 4)).toBe(0);
  });

  it('keeps at most maxKeys keys, forgetting the one counted longest ago', () => {
    const limiter = new FixedWindowLimiter(1, 60_000, 2);
    limiter.hit('a', 0);
    limiter.hit('b', 1);
    limiter.hit('a', 2);
    limiter.hit('c', 3);

    expect(limiter.retryAfterSeconds('a', 4)).toBeGreaterThan(0);
    expect(limiter.retryAfterSeconds('b', 4)).toBe(0);
    expect(limiter.retryAfterSeconds('c', 4)).toBeGreaterThan(0);
  });
});
