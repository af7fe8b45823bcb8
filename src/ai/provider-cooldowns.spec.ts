import { describeProviderCooldowns } from '../../test/support/provider-cooldowns.contract';
import { MemoryProviderCooldowns } from './provider-cooldowns';

describeProviderCooldowns('MemoryProviderCooldowns', (options) => new MemoryProviderCooldowns(options));

describe('MemoryProviderCooldowns', () => {
  it('forgets failures older than a pause', async () => {
    const cooldowns = new MemoryProviderCooldowns({ failures: 2, pauseMs: 10_000 });

    await cooldowns.failed('openai', undefined, 1_000_000);
    expect(await cooldowns.failed('openai', undefined, 1_020_000)).toBe(false);
    expect(await cooldowns.remainingMs('openai', 1_020_000)).toBe(0);
  });
});
