import { modelMatches, periodOf, resetsAt, secondsUntil, storedModelPattern } from './quota-window';

describe('quota windows', () => {
  it('counts a day from UTC midnight to the next', () => {
    const late = new Date('2026-12-02T23:59:59.999Z');
    expect(periodOf('day', late)).toBe('2026-12-02');
    expect(resetsAt('day', late).toISOString()).toBe('2026-12-03T00:00:00.000Z');
    const midnight = new Date('2026-12-03T00:00:00.000Z');
    expect(periodOf('day', midnight)).toBe('2026-12-03');
    expect(resetsAt('day', midnight).toISOString()).toBe('2026-12-04T00:00:00.000Z');
  });

  it('counts a month from its first day, across the year end and short months', () => {
    expect(periodOf('month', new Date('2026-12-31T23:00:00Z'))).toBe('2026-12');
    expect(resetsAt('month', new Date('2026-12-31T23:00:00Z')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(resetsAt('month', new Date('2028-02-29T12:00:00Z')).toISOString()).toBe('2028-03-01T00:00:00.000Z');
    expect(periodOf('month', new Date('2027-01-01T00:00:00Z'))).toBe('2027-01');
  });

  it('asks for at least a second of waiting', () => {
    const now = new Date('2026-12-02T23:59:59.500Z');
    expect(secondsUntil(resetsAt('day', now), now)).toBe(1);
    expect(secondsUntil(new Date('2026-12-03T00:00:00Z'), new Date('2026-12-02T23:00:00Z'))).toBe(3600);
  });

  it('matches model patterns as globs on the whole id', () => {
    expect(modelMatches(null, 'openai/gpt-4o')).toBe(true);
    expect(modelMatches('openai/*', 'openai/gpt-4o')).toBe(true);
    expect(modelMatches('openai/*', 'anthropic/claude')).toBe(false);
    expect(modelMatches('*/gpt-4o*', 'openai/gpt-4o-mini')).toBe(true);
    expect(modelMatches('openai/gpt-4o', 'openai/gpt-4o-mini')).toBe(false);
    expect(modelMatches('echo/e.ho', 'echo/echo')).toBe(false);
    expect(modelMatches('*', 'echo/echo')).toBe(true);
    expect(modelMatches('echo/*o', 'echo/echo')).toBe(true);
    expect(modelMatches('echo/*o', 'echo/echoes')).toBe(false);
    expect(modelMatches('*o*o', 'echo/echo')).toBe(true);
    expect(modelMatches('e**/e*', 'echo/echo')).toBe(true);
    expect(modelMatches('echo/echo*', 'echo/echo')).toBe(true);
  });

  it('stores a pattern of stars only as none: every model', () => {
    expect(storedModelPattern(undefined)).toBeNull();
    expect(storedModelPattern(null)).toBeNull();
    expect(storedModelPattern('*')).toBeNull();
    expect(storedModelPattern('***')).toBeNull();
    expect(storedModelPattern('openai/*')).toBe('openai/*');
    expect(storedModelPattern('*/*')).toBe('*/*');
  });

  it('matches a pattern of many stars against a long model id at once', () => {
    const pattern = `openai/${'*a'.repeat(20)}*b`;
    const startedAt = Date.now();
    expect(modelMatches(pattern, `openai/${'a'.repeat(32)}`)).toBe(false);
    expect(modelMatches(pattern, `openai/${'a'.repeat(32)}b`)).toBe(true);
    expect(Date.now() - startedAt).toBeLessThan(100);
  });
});
