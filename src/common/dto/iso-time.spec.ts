import { isoTime } from './iso-time';

describe('isoTime', () => {
  it("writes every date as Date's own toISOString does", () => {
    const dates = [
      new Date(0),
      new Date('2026-12-03T09:05:07.009Z'),
      new Date('1000-01-01T00:00:00.000Z'),
      new Date('9999-12-31T23:59:59.999Z'),
      new Date('0999-12-31T23:59:59.999Z'),
      new Date('+010000-01-01T00:00:00.000Z'),
      new Date(-62198755200000),
    ];
    // From 1900 on, 20,000 steps of a prime number of milliseconds (about 7.5 days): every field reaches its one- and
    // two-digit values, the same dates on every run.
    for (let i = 0; i < 20_000; i++) dates.push(new Date(Date.UTC(1900, 0, 1) + i * 648_000_017));
    for (const date of dates) expect(isoTime(date)).toBe(date.toISOString());
  });

  it('refuses an invalid date as toISOString does', () => {
    expect(() => isoTime(new Date(NaN))).toThrow(RangeError);
  });
});
