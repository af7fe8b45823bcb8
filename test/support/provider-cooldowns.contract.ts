import type { CooldownOptions, ProviderCooldowns } from '../../src/ai/provider-cooldowns';

const T0 = Date.UTC(2025, 0, 1);

/**
 * What every ProviderCooldowns implementation must do, run against each one (in memory in a unit spec, Redis in a
 * *.redis-e2e-spec). Every test names its providers afresh: a Redis keeps what earlier tests counted.
 */
export function describeProviderCooldowns(label: string, make: (options: CooldownOptions) => ProviderCooldowns): void {
  let named = 0;
  const provider = () => `contract-${++named}`;

  describe(label, () => {
    it('pauses a provider once it has failed `failures` times in a row, for pauseMs', async () => {
      const cooldowns = make({ failures: 2, pauseMs: 10_000 });
      const [p, other] = [provider(), provider()];

      expect(await cooldowns.failed(p, undefined, T0)).toBe(false);
      expect(await cooldowns.remainingMs(p, T0)).toBe(0);
      expect(await cooldowns.failed(p, undefined, T0 + 1_000)).toBe(true);

      expect(await cooldowns.remainingMs(p, T0 + 1_000)).toBe(10_000);
      expect(await cooldowns.remainingMs(other, T0 + 1_000)).toBe(0);
      expect(await cooldowns.remainingMs(p, T0 + 11_000)).toBe(0);
    });

    it('only ever moves the deadline later while failures continue, never earlier', async () => {
      const cooldowns = make({ failures: 1, pauseMs: 10_000 });
      const p = provider();

      expect(await cooldowns.failed(p, 60_000, T0)).toBe(true);
      // A later failure asking for a shorter pause leaves the longer one, and starts nothing new.
      expect(await cooldowns.failed(p, undefined, T0 + 1_000)).toBe(false);
      expect(await cooldowns.remainingMs(p, T0 + 1_000)).toBe(59_000);
      // One near the deadline moves it on.
      expect(await cooldowns.failed(p, undefined, T0 + 55_000)).toBe(false);
      expect(await cooldowns.remainingMs(p, T0 + 55_000)).toBe(10_000);
    });

    it('starts the count again after a call that answered', async () => {
      const cooldowns = make({ failures: 2, pauseMs: 10_000 });
      const p = provider();

      await cooldowns.failed(p, undefined, T0);
      await cooldowns.succeeded(p);
      expect(await cooldowns.failed(p, undefined, T0 + 1_000)).toBe(false);
      expect(await cooldowns.remainingMs(p, T0 + 1_000)).toBe(0);
      expect(await cooldowns.failed(p, undefined, T0 + 2_000)).toBe(true);
    });
  });
}
