import type { ChatEvent } from '../../src/ai/ai-provider';

export interface CollectedChat {
  deltas: string[];
  /** The tool-call pieces, in order. */
  toolCalls: Extract<ChatEvent, { type: 'toolCall' }>[];
  done?: Extract<ChatEvent, { type: 'done' }>;
  /** What the stream rejected with, if it did. */
  error?: unknown;
}

/**
 * Drains a provider's stream, keeping what arrived before a failure; `onDelta` may act mid-stream (abort,
 * inspect the upstream) and return true to stop reading, as a consumer that goes away would.
 */
export async function collectChat(
  stream: AsyncIterable<ChatEvent>,
  onDelta?: (text: string, index: number) => unknown,
): Promise<CollectedChat> {
  const collected: CollectedChat = { deltas: [], toolCalls: [] };
  try {
    for await (const event of stream) {
      if (event.type === 'done') collected.done = event;
      else if (event.type === 'toolCall') collected.toolCalls.push(event);
      else {
        collected.deltas.push(event.text);
        if ((await onDelta?.(event.text, collected.deltas.length - 1)) === true) break;
      }
    }
  } catch (error) {
    collected.error = error;
  }
  return collected;
}
