import type { FastifyReply } from 'fastify';
import { toErrorBody } from '../common/filters/all-exceptions.filter';
import type { Completion, CompletionEvent } from './chat-completions.service';
import { ChatCompletionChunkDto } from './dto/chat-completion-response.dto';
import { toOpenAiError } from './openai-error';

/** Comment lines keep idle connections open through proxies that close quiet ones; OpenAI's SDKs skip them. */
const HEARTBEAT_MS = 15_000;

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

  reply.hijack();
  const raw = reply.raw;
  // Hijacking skips Fastify's reply pipeline; headers set by hooks (security, CORS, rate limit) are carried
  // over by hand.
  raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  const send = (data: unknown) => {
    if (!raw.destroyed && !raw.writableEnded) raw.write(`data: ${JSON.stringify(data)}\n\n`);
  };
  const heartbeat = setInterval(() => !raw.destroyed && raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
  let complete = false;
  try {
    send(ChatCompletionChunkDto.delta(completion, { role: 'assistant', content: '' }, null, includeUsage));
    for (let next: IteratorResult<CompletionEvent> = first; !next.done; next = await completion.events.next()) {
      const event = next.value;
      if (event.type === 'delta') {
        send(ChatCompletionChunkDto.delta(completion, { content: event.text }, null, includeUsage));
      } else if (event.type === 'done') {
        send(ChatCompletionChunkDto.delta(completion, {}, event.finishReason, includeUsage));
        if (includeUsage) send(ChatCompletionChunkDto.usage(completion, event.usage));
        complete = true;
      } else {
        send(toOpenAiError(toErrorBody(event.error).body).body);
      }
    }
  } finally {
    clearInterval(heartbeat);
    if (complete && !raw.destroyed && !raw.writableEnded) raw.write('data: [DONE]\n\n');
    if (!raw.writableEnded) raw.end();
  }
}
