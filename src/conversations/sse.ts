import type { FastifyReply } from 'fastify';
import { ERROR_STATUS } from '../common/errors/error-codes';
import type { Exchange } from './chat.service';
import { MessageResponseDto } from './dto/message-response.dto';

/** Comment lines keep idle connections open through proxies that close quiet ones. */
const HEARTBEAT_MS = 15_000;

/**
 * Writes an exchange as Server-Sent Events on the raw response, in the contract's order (a regeneration has no
 * `user_message`). The event stream is always read to its end, even after the client left, so that the answer
 * is stored.
 */
export async function streamExchange(reply: FastifyReply, exchange: Exchange): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  // Hijacking skips Fastify's reply pipeline; headers set by hooks (security, CORS) are carried over by hand.
  raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  const send = (event: string, data: unknown) => {
    if (!raw.destroyed && !raw.writableEnded) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const heartbeat = setInterval(() => !raw.destroyed && raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
  try {
    if (exchange.userMessageIsNew) send('user_message', MessageResponseDto.from(exchange.userMessage));
    for await (const event of exchange.events) {
      if (event.type === 'delta') send('delta', { text: event.text });
      else if (event.type === 'assistant_message') send('assistant_message', MessageResponseDto.from(event.message));
      else
        send('error', {
          statusCode: ERROR_STATUS[event.error.code],
          message: event.error.message,
          code: event.error.code,
        });
    }
  } finally {
    clearInterval(heartbeat);
    if (!raw.writableEnded) raw.end();
  }
}
