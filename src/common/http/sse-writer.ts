import type { FastifyReply } from 'fastify';

/** Comment lines keep idle connections open through proxies that close quiet ones; SSE clients skip them. */
const HEARTBEAT_MS = 15_000;

export interface SseFrame {
  /** Sent as `id:`, which a reconnecting client hands back as `Last-Event-ID`. */
  id?: number;
  /** Sent as `event:`; without it the client sees a `message`. */
  event?: string;
  /** Serialised as JSON, or sent as it is when already text (`[DONE]`). */
  data: unknown;
}

/**
 * The one writer of Server-Sent Events on a Fastify reply. It takes the response over from Fastify, which
 * skips Fastify's reply pipeline: the headers that hooks already set (helmet's security headers, CORS, rate
 * limits, the request id) are carried over here, once, for every stream.
 */
export class SseWriter {
  private readonly heartbeat: NodeJS.Timeout;
  private readonly closeListeners: (() => void)[] = [];
  private isClosed = false;
  /** Resolves once the response is over: ended here, or the client went away. */
  readonly closed: Promise<void>;

  private constructor(private readonly reply: FastifyReply) {
    const raw = reply.raw;
    this.closed = new Promise((resolve) => {
      // A client that left while its request was being handled: the response's 'close' has come and gone, and the
      // stream (its heartbeat, its subscription to a generation) would otherwise stay open for good.
      if (raw.destroyed) resolve();
      else raw.once('close', resolve);
    });
    void this.closed.then(() => {
      this.isClosed = true;
      clearInterval(this.heartbeat);
      for (const listener of this.closeListeners) listener();
    });
    this.heartbeat = setInterval(() => this.write(': keep-alive\n\n'), HEARTBEAT_MS);
  }

  static open(reply: FastifyReply): SseWriter {
    reply.hijack();
    reply.raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store, no-transform',
      connection: 'keep-alive',
      // nginx would otherwise hold the events back until its buffer fills.
      'x-accel-buffering': 'no',
    });
    return new SseWriter(reply);
  }

  /** Whether the client is still there to read what is sent. */
  get open(): boolean {
    const raw = this.reply.raw;
    return !raw.destroyed && !raw.writableEnded;
  }

  send(frame: SseFrame): void {
    const data = typeof frame.data === 'string' ? frame.data : JSON.stringify(frame.data);
    this.write(
      `${frame.id === undefined ? '' : `id: ${frame.id}\n`}${frame.event ? `event: ${frame.event}\n` : ''}data: ${data}\n\n`,
    );
  }

  /** Called once when the response is over, whoever ended it. */
  onClose(listener: () => void): void {
    if (this.isClosed) listener();
    else this.closeListeners.push(listener);
  }

  end(): void {
    clearInterval(this.heartbeat);
    if (!this.reply.raw.writableEnded) this.reply.raw.end();
  }

  private write(text: string): void {
    if (this.open) this.reply.raw.write(text);
  }
}
