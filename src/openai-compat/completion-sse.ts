import type { FastifyReply } from 'fastify';
import { SseWriter } from '../common/http/sse-writer';
import { toErrorBody } from '../common/filters/all-exceptions.filter';
import type { Completion, CompletionEvent } from './chat-completions.service';
import { ChatCompletionChunkDeltaDto, ChatCompletionChunkDto } from './dto/chat-completion-response.dto';
import { toOpenAiError } from './openai-error';

/**
 * Writes a completion as OpenAI does: `data:` frames of `chat.completion.chunk`, then `data: [DONE]`. The
 * first event is awaited before anything is written, so that a call that fails to start (rate limit, outage,
 * time-out) still answers with its HTTP status; a failure after that is sent as an `{ "error": ... }` frame
 * and the stream ends without [DONE]. Returns without writing when the client left before the first event.
 */
export async function streamCompletion(reply: FastifyReply, completion: Completion, includeUsage: boolean) {
  const first = await completion.events.next();
  if (first.done) return;
  if (first.value.type === 'error') {
    await completion.events.return(undefined);
    throw first.value.error;
  }

  const sse = SseWriter.open(reply);
  let complete = false;
  try {
    sse.send({
      data: ChatCompletionChunkDto.delta(completion, { role: 'assistant', content: '' }, null, includeUsage),
    });
    for (let next: IteratorResult<CompletionEvent> = first; !next.done; next = await completion.events.next()) {
      const event = next.value;
      if (event.type === 'delta') {
        sse.send({ data: ChatCompletionChunkDto.delta(completion, { content: event.text }, null, includeUsage) });
      } else if (event.type === 'toolCall') {
        const delta = ChatCompletionChunkDeltaDto.toolCall(event);
        sse.send({ data: ChatCompletionChunkDto.delta(completion, delta, null, includeUsage) });
      } else if (event.type === 'done') {
        sse.send({ data: ChatCompletionChunkDto.delta(completion, {}, event.finishReason, includeUsage) });
        if (includeUsage) sse.send({ data: ChatCompletionChunkDto.usage(completion, event.usage) });
        complete = true;
      } else {
        sse.send({ data: toOpenAiError(toErrorBody(event.error).body).body });
      }
    }
  } finally {
    if (complete) sse.send({ data: '[DONE]' });
    sse.end();
  }
}
