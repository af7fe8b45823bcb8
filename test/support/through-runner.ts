import type { AiProvider, ChatRequest } from '../../src/ai/ai-provider';
import { ModelCallRunner } from '../../src/ai/model-call-runner.service';
import type { ShutdownService } from '../../src/common/lifecycle/shutdown.service';
import { metricsOff } from './metrics';

/**
 * Reads a provider's answer through the model-call runner, which owns the time-out, as every API does: the
 * deltas, and the error the call ended with, if any. `onDelta` runs after each delta, before the next is read.
 */
export async function throughRunner(
  provider: AiProvider,
  request: Omit<ChatRequest, 'signal'>,
  timeoutMs: number,
  onDelta?: (index: number) => unknown,
): Promise<{ deltas: string[]; error: unknown }> {
  const shutdown = { signal: new AbortController().signal } as ShutdownService;
  const runner = new ModelCallRunner({ timeoutMs }, shutdown, metricsOff());
  const deltas: string[] = [];
  let error: unknown;
  for await (const event of runner.run(provider, { ...request, signal: new AbortController().signal })) {
    if (event.type === 'delta') {
      deltas.push(event.text);
      await onDelta?.(deltas.length - 1);
    } else if (event.type === 'end') error = event.outcome.error ?? undefined;
  }
  return { deltas, error };
}
