import { MemoryProviderCooldowns } from './provider-cooldowns';

describe('MemoryProviderCooldowns', () => {
  const t0 = 1_000_000;

  it('pauses a provider once it has failed `failures` times in a row, for pauseMs', async () => {
    const cooldowns = new MemoryProviderCooldowns({ failures: 2, pauseMs: 10_000 });

    expect(await cooldowns.failed('openai', undefined, t0)).toBe(false);
    expect(await cooldowns.remainingMs('openai', t0)).toBe(0);
    expect(await cooldowns.failed('openai', undefined, t0 + 1_000)).toBe(true);

    expect(await cooldowns.remainingMs('openai', t0 + 1_000)).toBe(10_000);
    expect(await cooldowns.remainingMs('anthropic', t0 + 1_000)).toBe(0);
    expect(await cooldowns.remainingMs('openai', t0 + 11_000)).toBe(0);
  });

  it('only ever moves the deadline later while failures continue, never earlier', async () => {
    const cooldowns = new MemoryProviderCooldowns({ failures: 1, pauseMs: 10_000 });

    await cooldowns.failed('openai', 60_000, t0);
    // A later failure asking for a shorter pause leaves the longer one.
    expect(await cooldowns.failed('openai', undefined, t0 + 1_000)).toBe(false);
    expect(await cooldowns.remainingMs('openai', t0 + 1_000)).toBe(59_000);
    // One past the deadline moves it on.
    await cooldowns.failed('openai', undefined, t0 + 55_000);
    expect(await cooldowns.remainingMs('openai', t0 + 55_000)).toBe(10_000);
  });

  it('forgets failures after a success, and failures older than a pause', async () => {
    const cooldowns = new MemoryProviderCooldowns({ failures: 2, pauseMs: 10_000 });

    await cooldowns.failed('openai', undefined, t0);
    await cooldowns.succeeded('openai');
    expect(await cooldowns.failed('openai', undefined, t0 + 1_000)).toBe(false);
    expect(await cooldowns.failed('openai', undefined, t0 + 20_000)).toBe(false);
    expect(await cooldowns.remainingMs('openai', t0 + 20_000)).toBe(0);
  });
});
