import type { AxiosResponse } from 'axios';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { AbortError, AiProviderError } from '../ai.errors';
import type { ModelInfo } from '../ai-provider';

/** One call to a vendor, as the adapters describe it. `secrets` are scrubbed from every error message. */
export interface UpstreamCall {
  vendor: string;
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  secrets: (string | undefined)[];
  /** The provider's own connections, kept between calls; without them, a new connection per call. */
  connections?: UpstreamConnections;
}

/** A streamed call: its body, what aborts it, and what hears of every chunk of bytes (ChatRequest.onData). */
export type UpstreamStreamCall = UpstreamCall & { body: unknown; signal: AbortSignal; onData?: () => void };

/**
 * Connections a provider keeps open between its calls: a new one costs a TCP (and for https a TLS) handshake in
 * front of every answer's first byte. Node closes an idle one before the vendor's announced `Keep-Alive:
 * timeout`. Made at the first call, like axios (see below), so a server that never calls a vendor loads neither.
 */
export class UpstreamConnections {
  private client?: AxiosClient;

  /**
   * The provider's axios instance: its connections and what every call to a vendor sets, merged into axios'
   * defaults once rather than into each request's config (which cost about as much as the request itself).
   */
  clientOf(axios: Axios): AxiosClient {
    // Not import(): the built server runs its bundle as a vm.Script, where import() of a Node module fails.
    this.client ??= axios.create({
      ...CALL_DEFAULTS,
      httpAgent: new (process.getBuiltinModule('node:http').Agent)({ keepAlive: true }),
      httpsAgent: new (process.getBuiltinModule('node:https').Agent)({ keepAlive: true }),
    });
    return this.client;
  }
}

/** What every call sets: a vendor's status is read, not thrown, and a redirect is never followed. */
const CALL_DEFAULTS = {
  validateStatus: () => true,
  // A redirect would replay the request, key included, to wherever the Location header points.
  maxRedirects: 0,
};

/** Error bodies carry at most this much; a proxy's HTML page or a runaway body is not worth more. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

// axios is imported at the first call, not at the top: loading it brings in Node's fetch implementation, a tenth
// of the server's start-up, which a server that only ever answers with the echo model does not need. Loaded once,
// then kept: every later call uses it without a module lookup.
type Axios = Awaited<ReturnType<typeof loadAxiosModule>>['default'];
type AxiosClient = ReturnType<Axios['create']>;
const loadAxiosModule = () => import('axios');
let loadedAxios: Axios | undefined;
/** For calls without connections of their own: no kept connections, the same defaults. */
let sharedClient: AxiosClient | undefined;
async function axiosClient(connections: UpstreamConnections | undefined): Promise<AxiosClient> {
  if (!loadedAxios) loadedAxios = (await loadAxiosModule()).default;
  if (connections) return connections.clientOf(loadedAxios);
  sharedClient ??= loadedAxios.create(CALL_DEFAULTS);
  return sharedClient;
}
const MAX_DETAIL_CHARS = 300;

/** Vendor key formats, scrubbed even when the key is not ours (a proxy may echo its own upstream key). */
const KEY_PATTERN = /\b(sk|pk|rk)-[A-Za-z0-9_-]{6,}/g;

/**
 * POSTs `body` and yields the server-sent events of the answer. How long to wait for the vendor is the model-call
 * runner's to decide (ModelCallRunner, AI_TIMEOUT_MS): it aborts `signal` when the vendor stays quiet. Leaving
 * the loop early, by abort or by `break`, closes the upstream connection so the vendor stops generating.
 */
export function streamSse(call: UpstreamStreamCall): AsyncGenerator<EventSourceMessage> {
  return streamFramed<EventSourceMessage>(call, 'text/event-stream', (push) => {
    const parser = createParser({ onEvent: push });
    // An event without its closing blank line is dropped, as the SSE spec says, so a cut shows as one.
    return (text) => parser.feed(text);
  });
}

/** As streamSse, for a vendor that streams one JSON document a line (Ollama): yields the lines. */
export function streamNdjson(call: UpstreamStreamCall): AsyncGenerator<string> {
  return streamFramed<string>(call, 'application/x-ndjson', (push) => {
    // A last line without its newline is never pushed, like an unfinished SSE event, so a cut shows as one.
    let rest = '';
    return (text) => {
      const lines = (rest + text).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) push(line);
    };
  });
}

async function* streamFramed<T>(
  call: UpstreamStreamCall,
  accept: string,
  /** Returns what cuts the decoded text into items, handing each to `push`. */
  framer: (push: (item: T) => void) => (text: string) => void,
): AsyncGenerator<T> {
  if (call.signal.aborted) throw new AbortError();
  const upstream = new AbortController();
  const forward = () => upstream.abort();
  call.signal.addEventListener('abort', forward, { once: true });
  const classify = (error: unknown, phase: 'connect' | 'stream') =>
    error instanceof AiProviderError
      ? error
      : call.signal.aborted
        ? new AbortError()
        : networkError(call.vendor, error, phase);
  let ended = false;
  let chunks: AsyncIterator<Buffer> | undefined;
  let body: Readable | undefined;
  try {
    let response: AxiosResponse<Readable>;
    try {
      const client = await axiosClient(call.connections);
      response = await client.post<Readable>(call.url, call.body, {
        headers: { ...call.headers, accept },
        responseType: 'stream',
        signal: upstream.signal,
      });
      if (response.status >= 300) {
        const text = await readText(response.data, MAX_ERROR_BODY_BYTES);
        throw httpError(call, response.status, response.headers['retry-after'], parseJson(text));
      }
    } catch (error) {
      throw classify(error, 'connect');
    }

    const pending: T[] = [];
    const feed = framer((item) => pending.push(item));
    const decoder = new StringDecoder('utf8');
    body = response.data;
    chunks = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await chunks.next();
      } catch (error) {
        throw classify(error, 'stream');
      }
      if (next.done) {
        ended = true;
        feed(decoder.end());
      } else {
        call.onData?.();
        feed(decoder.write(next.value));
      }
      while (pending.length > 0) yield pending.shift()!;
      if (ended) return;
    }
  } finally {
    call.signal.removeEventListener('abort', forward);
    if (!ended) {
      // Left after the vendor's end marker (`[DONE]`, `message_stop`) with the rest of the body already here:
      // reading it to its end hands the connection back for the next call instead of closing it.
      const received = (body as Partial<IncomingMessage> | undefined)?.complete === true;
      if (chunks && received && !call.signal.aborted) void drain(chunks).catch(() => upstream.abort());
      else upstream.abort();
    }
  }
}

async function drain(chunks: AsyncIterator<Buffer>): Promise<void> {
  while (!(await chunks.next()).done);
}

/** GETs a JSON document, with the same error translation as a stream and a plain request time-out. */
export async function getJson(call: UpstreamCall & { signal?: AbortSignal }): Promise<unknown> {
  if (call.signal?.aborted) throw new AbortError();
  const client = await axiosClient(call.connections);
  try {
    const response = await client.get<unknown>(call.url, {
      headers: { ...call.headers, accept: 'application/json' },
      signal: call.signal,
      timeout: call.timeoutMs,
      maxContentLength: 16 * 1024 * 1024,
    });
    if (response.status >= 300) throw httpError(call, response.status, response.headers['retry-after'], response.data);
    return response.data;
  } catch (error) {
    if (error instanceof AiProviderError) throw error;
    if (call.signal?.aborted) throw new AbortError();
    if (loadedAxios?.isAxiosError(error) && error.code === 'ECONNABORTED') {
      throw new AiProviderError('UPSTREAM_TIMEOUT', `${call.vendor} did not answer within ${call.timeoutMs} ms`);
    }
    throw networkError(call.vendor, error, 'connect');
  }
}

/** Parses one event's data; a vendor that sends something else is broken, not merely slow. */
/**
 * Reads an OpenAI- or Anthropic-style model list (`{ data: [{ id }] }`) as the portal's models of `provider`,
 * keeping the names `keep` accepts.
 */
export function modelsFromList(
  provider: string,
  body: unknown,
  keep: (name: string) => boolean = () => true,
): ModelInfo[] {
  const data = (body as { data?: { id?: unknown }[] } | null)?.data;
  if (!Array.isArray(data)) {
    throw new AiProviderError('UPSTREAM_ERROR', `${provider} answered the model list in an unexpected shape`);
  }
  return data
    .map((model) => model?.id)
    .filter((name): name is string => typeof name === 'string' && keep(name))
    .map((name) => ({ id: `${provider}/${name}`, provider, name }));
}

export function parseEventData<T>(vendor: string, data: string): T {
  const parsed = parseJson(data);
  if (parsed === undefined) throw new AiProviderError('UPSTREAM_ERROR', `${vendor} sent an unreadable stream event`);
  return parsed as T;
}

/** An error the vendor reported inside a stream that had already started (`{ type, message }`). */
export function streamError(call: Pick<UpstreamCall, 'vendor' | 'secrets'>, error: unknown): AiProviderError {
  const { type, message } = vendorDetail({ error });
  const detail = message ? `: ${scrub(message, call.secrets)}` : '';
  if (type === 'overloaded_error' || type === 'service_unavailable') {
    return new AiProviderError('UPSTREAM_UNAVAILABLE', `${call.vendor} is overloaded${detail}`);
  }
  if (type === 'rate_limit_error' || type === 'rate_limit_exceeded') {
    return new AiProviderError('UPSTREAM_RATE_LIMITED', `${call.vendor} is rate limiting requests`);
  }
  return new AiProviderError('UPSTREAM_ERROR', `${call.vendor} failed mid-answer${detail}`);
}

/** The stream closed cleanly but before the vendor's end marker: the answer is incomplete. */
export function cutShort(vendor: string): AiProviderError {
  return new AiProviderError('UPSTREAM_ERROR', `the answer from ${vendor} ended before it was complete`);
}

function httpError(
  call: Pick<UpstreamCall, 'vendor' | 'secrets'>,
  status: number,
  retryAfter: unknown,
  body: unknown,
): AiProviderError {
  const { type, message } = vendorDetail(body);
  if (status === 429) {
    const seconds = parseRetryAfter(retryAfter);
    return new AiProviderError('UPSTREAM_RATE_LIMITED', `${call.vendor} is rate limiting requests`, seconds, {
      upstreamStatus: status,
    });
  }
  // The vendor's message for a bad key quotes part of the key, so none of it is repeated.
  if (status === 401 || status === 403) {
    return new AiProviderError(
      'UPSTREAM_ERROR',
      `${call.vendor} rejected the configured API key (HTTP ${status})`,
      undefined,
      { upstreamStatus: status },
    );
  }
  const detail = message ? `: ${scrub(message, call.secrets)}` : '';
  if (status === 503 || status === 529 || type === 'overloaded_error') {
    return new AiProviderError(
      'UPSTREAM_UNAVAILABLE',
      `${call.vendor} is unavailable (HTTP ${status})${detail}`,
      parseRetryAfter(retryAfter),
      { upstreamStatus: status },
    );
  }
  // The request itself was refused (a model that takes no images, a body too large, an unknown model at the
  // vendor): the caller's to change, so a 400 that says why rather than a 502.
  if (status === 400 || status === 404 || status === 413 || status === 422) {
    return new AiProviderError(
      'UPSTREAM_REJECTED',
      `${call.vendor} refused the request (HTTP ${status})${detail}`,
      undefined,
      {
        upstreamStatus: status,
      },
    );
  }
  // A 5xx (or a 408) is the vendor's trouble, and may pass; any other status would only be refused again.
  return new AiProviderError('UPSTREAM_ERROR', `${call.vendor} answered HTTP ${status}${detail}`, undefined, {
    retryable: status >= 500 || status === 408,
    upstreamStatus: status,
  });
}

function networkError(vendor: string, error: unknown, phase: 'connect' | 'stream'): AiProviderError {
  if (phase === 'stream') {
    return new AiProviderError('UPSTREAM_ERROR', `the connection to ${vendor} broke off mid-answer`);
  }
  const code = (error as { code?: unknown } | null)?.code;
  const reason = typeof code === 'string' && /^[A-Z_]+$/.test(code) ? ` (${code})` : '';
  // Nothing was sent back: the same call may well get through next time.
  return new AiProviderError('UPSTREAM_ERROR', `${vendor} could not be reached${reason}`, undefined, {
    retryable: true,
  });
}

/** OpenAI sends `{ error: { message, type } }`, Anthropic `{ type: 'error', error: { type, message } }`, Ollama `{ error: '...' }`. */
function vendorDetail(body: unknown): { type?: string; message?: string } {
  const error = (body as { error?: unknown } | null | undefined)?.error;
  if (typeof error === 'string') return { message: error };
  if (typeof error !== 'object' || error === null) return {};
  const { type, message } = error as { type?: unknown; message?: unknown };
  return {
    type: typeof type === 'string' ? type : undefined,
    message: typeof message === 'string' ? message : undefined,
  };
}

function scrub(text: string, secrets: (string | undefined)[]): string {
  let clean = text;
  for (const secret of secrets) if (secret) clean = clean.split(secret).join('[redacted]');
  clean = clean.replace(KEY_PATTERN, '[redacted]');
  return clean.length > MAX_DETAIL_CHARS ? `${clean.slice(0, MAX_DETAIL_CHARS)}...` : clean;
}

function parseRetryAfter(header: unknown): number | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function parseJson(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function readText(stream: Readable, maxBytes: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    parts.push(chunk);
    size += chunk.length;
    if (size >= maxBytes) break;
  }
  return Buffer.concat(parts).subarray(0, maxBytes).toString('utf8');
}
