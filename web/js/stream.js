// @ts-check
import { EventSourceParserStream } from '../vendor/eventsource-parser/stream.js';

/**
 * The Server-Sent Events of a fetch Response, each with its JSON data parsed and its id as a number (null
 * when it has none).
 * @param {Response} response
 * @returns {AsyncGenerator<{ id: number | null, event: string, data: any }>}
 */
export async function* readEvents(response) {
  if (!response.body) return;
  const reader = response.body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream())
    .getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield {
        id: value.id ? Number(value.id) : null,
        event: value.event ?? 'message',
        data: value.data ? JSON.parse(value.data) : null,
      };
    }
  } finally {
    reader.releaseLock();
  }
}
