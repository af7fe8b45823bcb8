import type { FastifyReply } from 'fastify';
import { SseWriter } from '../common/http/sse-writer';
import type { Generation } from './generation';

/**
 * Streams a generation's events after `after` to one viewer, each with its `id:`, until the last one
 * (`assistant_message` or `error`). A viewer that goes away only unsubscribes: the generation runs on.
 * Resolves once the response is over.
 */
export async function streamGeneration(reply: FastifyReply, generation: Generation, after: number): Promise<void> {
  const sse = SseWriter.open(reply);
  const unsubscribe = generation.subscribe(after, {
    onEvent: (event) => {
      // A viewer who claims events not yet made gets none it says it has, and still its end.
      if (event.id > after) sse.send(event);
      if (event.event === 'assistant_message' || event.event === 'error') sse.end();
    },
  });
  // An ended generation has sent all it has: nothing more will come.
  if (!generation.running) sse.end();
  sse.onClose(unsubscribe);
  await sse.closed;
}

/** `text/event-stream` among the Accept header's media ranges (in any case) with a weight above 0. */
export function asksForEventStream(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((range) => {
    const [type, ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    if (type !== 'text/event-stream') return false;
    const weight = parameters.find((parameter) => parameter.startsWith('q='));
    return weight === undefined || Number(weight.slice(2)) > 0;
  });
}
