import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server on 127.0.0.1 that speaks OpenAI Chat Completions (`POST …/chat/completions`,
 * `GET …/models`), Anthropic Messages (`POST /v1/messages`, `GET /v1/models` with `anthropic-version`) and
 * Ollama's own API (`POST /api/chat`, one JSON document a line; `GET /api/tags`).
 * Point OPENAI_BASE_URL at `${url}/v1`, ANTHROPIC_BASE_URL and OLLAMA_BASE_URL at `url`.
 * Every request is recorded; each chat (or list) request consumes the next scripted behaviour, if any.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON when the body was JSON, else the raw text ('' for none). */
  body: unknown;
  /** Set once the client closed the connection before the answer was complete. */
  clientClosed: boolean;
}

export interface ReplyScript {
  /** The text deltas, one SSE frame each. */
  chunks?: string[];
  /** Wait before each chunk (benchmarks, and tests that act mid-answer). */
  delayMs?: number;
  usage?: { promptTokens: number; completionTokens: number };
  /**
   * Tool calls the answer makes after its text, each streamed as the vendor does: OpenAI's `tool_calls` deltas,
   * Anthropic's `tool_use` blocks with `input_json_delta`s; one frame per piece of `arguments`.
   */
  toolCalls?: ScriptedToolCall[];
  /**
   * The vendor's own value; by default `stop` (OpenAI) or `end_turn` (Anthropic), and with tool calls
   * `tool_calls` or `tool_use`.
   */
  finishReason?: string;
  /** End the response cleanly but without the vendor's closing frames (`[DONE]`, `message_stop`). */
  unterminated?: boolean;
}
export interface ScriptedToolCall {
  name: string;
  /** The arguments' JSON text in the pieces it is streamed in. */
  arguments: string[];
  /** The vendor's id; `call_fake_<n>` or `toolu_fake_<n>` by default. */
  id?: string;
}
export type Route = 'chat' | 'models';
export interface FailScript {
  status: number;
  message?: string;
  /** The vendor's error type, e.g. `overloaded_error`; one that fits the status by default. */
  type?: string;
  /** Sent instead of the vendor-shaped body: a string as is (as HTML), anything else as JSON. */
  body?: unknown;
  retryAfter?: number | string;
  on?: Route;
}

type Behaviour = ReplyScript & {
  kind: 'reply' | 'fail' | 'hang' | 'cut' | 'streamError' | 'drop';
  on: Route;
  /** For hang, cut and streamError: how many chunks go out first. */
  afterChunks?: number;
  /** For hold: how many chunks go out before waiting for `released`. */
  holdAfter?: number;
  released?: Promise<void>;
  failure?: FailScript;
  error?: { type: string; message: string };
};
type Wire = 'openai' | 'anthropic' | 'ollama';

export interface FakeUpstream {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  requests: RecordedRequest[];
  /** TCP connections accepted since the start: a client that reuses its connections opens few. */
  readonly connections: number;
  /** Model names each list endpoint returns; change them freely. */
  models: { openai: string[]; anthropic: string[]; ollama: string[] };
  reply(script?: ReplyScript): void;
  fail(script: FailScript): void;
  /** Without `afterChunks` the server never answers at all; with it, it sends that many chunks and stalls. */
  hang(script?: ReplyScript & { afterChunks?: number; on?: Route }): void;
  /**
   * Sends `afterChunks` chunks, then nothing until the returned function is called, then the rest and the end:
   * a test acts mid-answer without depending on how long anything takes.
   */
  hold(script: ReplyScript & { afterChunks: number }): () => void;
  /** Destroys the socket before sending anything, not even a status line: a connection reset. */
  drop(script?: { on?: Route }): void;
  /** Destroys the socket after `afterChunks` chunks. */
  cut(script: ReplyScript & { afterChunks: number }): void;
  /** Sends `afterChunks` chunks, then the vendor's in-stream error event, and ends. */
  streamError(script: ReplyScript & { afterChunks: number; type: string; message: string }): void;
  /** What chat requests get when nothing is scripted. */
  setDefault(script: ReplyScript): void;
  /** Resolves once the client has closed the connection of `request` (default: the latest one). */
  whenClientCloses(request?: RecordedRequest, timeoutMs?: number): Promise<void>;
  /** Forgets recorded requests and scripted behaviours. */
  reset(): void;
  close(): Promise<void>;
}

export interface FakeUpstreamOptions {
  models?: Partial<FakeUpstream['models']>;
  defaultReply?: ReplyScript;
}

const DEFAULT_CHUNKS = ['Hello', ' from', ' the', ' fake', ' upstream.'];
const ERROR_TYPES: Record<number, [openai: string, anthropic: string]> = {
  400: ['invalid_request_error', 'invalid_request_error'],
  401: ['invalid_api_key', 'authentication_error'],
  403: ['permission_denied', 'permission_error'],
  404: ['not_found', 'not_found_error'],
  429: ['rate_limit_exceeded', 'rate_limit_error'],
  503: ['service_unavailable', 'overloaded_error'],
  529: ['overloaded', 'overloaded_error'],
};

export async function startFakeUpstream(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const requests: RecordedRequest[] = [];
  const queue: Behaviour[] = [];
  const closes = new EventEmitter();
  const timers = new Set<NodeJS.Timeout>();
  const releases = new Set<() => void>();
  let defaultReply: ReplyScript = options.defaultReply ?? {};
  const models = {
    openai: ['gpt-4o-mini', 'gpt-4o'],
    anthropic: ['claude-sonnet-4-5'],
    ollama: ['llama3.2', 'qwen2.5:7b'],
    ...options.models,
  };

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const parts: Buffer[] = [];
    for await (const chunk of req) parts.push(chunk as Buffer);
    // Decoded whole: a character split across two chunks would otherwise turn into replacement characters.
    const raw = Buffer.concat(parts).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: parseBody(raw),
      clientClosed: false,
    };
    requests.push(record);
    let cutting = false;
    res.on('close', () => {
      if (res.writableFinished || cutting) return;
      record.clientClosed = true;
      closes.emit('close', record);
    });

    const wire: Wire = record.path.startsWith('/api/')
      ? 'ollama'
      : record.path.endsWith('/messages') || req.headers['anthropic-version'] !== undefined
        ? 'anthropic'
        : 'openai';
    const chat = req.method === 'POST' && /\/(chat\/completions|messages|api\/chat)$/.test(record.path);
    const list = req.method === 'GET' && /\/(models|api\/tags)$/.test(record.path);
    const route: Route | undefined = chat ? 'chat' : list ? 'models' : undefined;
    if (!route) return sendError(res, wire, { status: 404, message: `no route ${req.method} ${record.path}` });
    const index = queue.findIndex((entry) => entry.on === route);
    const behaviour: Behaviour = index >= 0 ? queue.splice(index, 1)[0] : { kind: 'reply', on: route, ...defaultReply };

    if (behaviour.failure) return sendError(res, wire, behaviour.failure);
    if (behaviour.kind === 'drop') {
      cutting = true;
      return void res.socket?.destroy();
    }
    if (behaviour.kind === 'hang' && behaviour.afterChunks === undefined) return;
    if (route === 'models') return sendJson(res, 200, modelList(wire, models[wire]));

    const request = (record.body || {}) as { model?: string; stream?: boolean; messages?: unknown };
    if (request.stream !== true) return sendError(res, wire, { status: 400, message: 'the fake only streams' });
    const chunks = behaviour.chunks ?? DEFAULT_CHUNKS;
    const promptTokens = JSON.stringify(request.messages ?? []).split(/\s+/).length;
    const usage = behaviour.usage ?? { promptTokens, completionTokens: chunks.length };
    const frameSet = { openai: openaiFrames, anthropic: anthropicFrames, ollama: ollamaFrames }[wire];
    const frames = frameSet(request.model ?? '?', chunks, usage, behaviour.finishReason, behaviour.toolCalls ?? []);
    const type = wire === 'ollama' ? 'application/x-ndjson' : 'text/event-stream';
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' });
    res.write(frames.head);
    for (const [index, frame] of frames.body.slice(0, behaviour.afterChunks ?? chunks.length).entries()) {
      if (index === behaviour.holdAfter) await behaviour.released;
      if (behaviour.delayMs) await wait(behaviour.delayMs);
      if (res.destroyed) return;
      res.write(frame);
    }
    if (behaviour.kind === 'hang') return;
    if (behaviour.kind === 'cut') {
      cutting = true;
      // Node corks a response's first writes until the next tick; let them reach the wire before the cut.
      await new Promise((resolve) => setImmediate(resolve));
      return void res.socket?.destroy();
    }
    if (behaviour.error) return void res.end(errorFrame(wire, behaviour.error));
    res.end(behaviour.unterminated ? '' : frames.tail);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => res.destroy(error as Error));
  });
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const enqueue = (behaviour: Omit<Behaviour, 'on'>, on: Route = 'chat') => void queue.push({ ...behaviour, on });

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get connections() {
      return connections;
    },
    models,
    reply: (script = {}) => enqueue({ kind: 'reply', ...script }),
    fail: (failure) => enqueue({ kind: 'fail', failure }, failure.on),
    hang: (script = {}) => enqueue({ kind: 'hang', ...script }, script.on),
    hold: ({ afterChunks, ...script }) => {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      releases.add(release);
      enqueue({ kind: 'reply', ...script, holdAfter: afterChunks, released });
      return release;
    },
    drop: (script = {}) => enqueue({ kind: 'drop' }, script.on),
    cut: (script) => enqueue({ kind: 'cut', ...script }),
    streamError: ({ type, message, ...script }) =>
      enqueue({ kind: 'streamError', ...script, error: { type, message } }),
    setDefault: (script) => void (defaultReply = script),
    whenClientCloses: async (request = requests.at(-1), timeoutMs = 2000) => {
      if (!request) throw new Error('no request was recorded');
      const signal = AbortSignal.timeout(timeoutMs);
      while (!request.clientClosed) await once(closes, 'close', { signal });
    },
    reset: () => {
      requests.length = 0;
      queue.length = 0;
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      for (const release of releases) release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type Usage = { promptTokens: number; completionTokens: number };
const sse = (data: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;

function openaiFrames(
  model: string,
  chunks: string[],
  usage: Usage,
  finish: string | undefined,
  calls: ScriptedToolCall[],
) {
  const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1_700_000_000, model };
  const choice = (delta: object, finishReason: string | null = null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  });
  // As OpenAI streams them: one call after the other, the first piece with the id and name, the rest arguments.
  const toolFrames = calls.flatMap((call, index) => [
    sse(
      choice({
        tool_calls: [
          {
            index,
            id: call.id ?? `call_fake_${index}`,
            type: 'function',
            function: { name: call.name, arguments: '' },
          },
        ],
      }),
    ),
    ...call.arguments.map((piece) => sse(choice({ tool_calls: [{ index, function: { arguments: piece } }] }))),
  ]);
  const finishReason = finish ?? (calls.length > 0 ? 'tool_calls' : 'stop');
  return {
    head: sse(choice({ role: 'assistant', content: calls.length > 0 && chunks.length === 0 ? null : '' })),
    body: chunks.map((text) => sse(choice({ content: text }))),
    tail:
      toolFrames.join('') +
      sse(choice({}, finishReason)) +
      sse({ ...base, choices: [], usage: openaiUsage(usage) }) +
      'data: [DONE]\n\n',
  };
}

function anthropicFrames(
  model: string,
  chunks: string[],
  usage: Usage,
  finish: string | undefined,
  calls: ScriptedToolCall[],
) {
  const message = { id: 'msg_fake', type: 'message', role: 'assistant', content: [], model, stop_reason: null };
  const start = { ...message, usage: { input_tokens: usage.promptTokens, output_tokens: 1 } };
  const delta = { stop_reason: finish ?? (calls.length > 0 ? 'tool_use' : 'end_turn'), stop_sequence: null };
  // Anthropic opens no text block for an answer that is only tool calls; block indexes count every block.
  const text = chunks.length > 0 || calls.length === 0;
  const first = text ? 1 : 0;
  const toolFrames = calls.flatMap((call, n) => {
    const index = first + n;
    const block = { type: 'tool_use', id: call.id ?? `toolu_fake_${n}`, name: call.name, input: {} };
    const piece = (partial_json: string) =>
      sse(
        { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } },
        'content_block_delta',
      );
    return [
      sse({ type: 'content_block_start', index, content_block: block }, 'content_block_start'),
      // Anthropic's first input_json_delta is often empty.
      piece(''),
      ...call.arguments.map(piece),
      sse({ type: 'content_block_stop', index }, 'content_block_stop'),
    ];
  });
  return {
    head:
      sse({ type: 'message_start', message: start }, 'message_start') +
      (text
        ? sse(
            { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
            'content_block_start',
          )
        : '') +
      sse({ type: 'ping' }, 'ping'),
    body: chunks.map((text) =>
      sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }, 'content_block_delta'),
    ),
    tail:
      (text ? sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop') : '') +
      toolFrames.join('') +
      sse({ type: 'message_delta', delta, usage: { output_tokens: usage.completionTokens } }, 'message_delta') +
      sse({ type: 'message_stop' }, 'message_stop'),
  };
}

/** As Ollama streams an answer: a line per piece, each tool call whole with its arguments parsed, then `done`. */
function ollamaFrames(
  model: string,
  chunks: string[],
  usage: Usage,
  finish: string | undefined,
  calls: ScriptedToolCall[],
) {
  const line = (data: object) => `${JSON.stringify({ model, created_at: '2025-01-01T00:00:00Z', ...data })}\n`;
  const message = (fields: object) => ({ role: 'assistant', content: '', ...fields });
  const toolCalls = calls.map((call) => ({
    function: { name: call.name, arguments: JSON.parse(call.arguments.join('') || '{}') as unknown },
  }));
  return {
    head: '',
    body: chunks.map((content) => line({ message: message({ content }), done: false })),
    tail:
      (toolCalls.length > 0 ? line({ message: message({ tool_calls: toolCalls }), done: false }) : '') +
      line({
        message: message({}),
        done: true,
        done_reason: finish ?? 'stop',
        prompt_eval_count: usage.promptTokens,
        eval_count: usage.completionTokens,
      }),
  };
}

function errorFrame(wire: Wire, { type, message }: { type: string; message: string }): string {
  if (wire === 'ollama') return `${JSON.stringify({ error: message })}\n`;
  return wire === 'anthropic'
    ? sse({ type: 'error', error: { type, message } }, 'error')
    : sse({ error: { message, type, code: null } });
}

function modelList(wire: Wire, names: string[]) {
  if (wire === 'ollama') {
    const details = { format: 'gguf', family: 'llama', parameter_size: '3B', quantization_level: 'Q4_K_M' };
    return {
      models: names.map((name) => ({ name, model: name, modified_at: '2025-01-01T00:00:00Z', size: 1, details })),
    };
  }
  if (wire === 'anthropic') {
    const data = names.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-01-01T00:00:00Z' }));
    return { data, has_more: false, first_id: names[0] ?? null, last_id: names.at(-1) ?? null };
  }
  const data = names.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'fake' }));
  return { object: 'list', data };
}

const openaiUsage = (usage: Usage) => ({
  prompt_tokens: usage.promptTokens,
  completion_tokens: usage.completionTokens,
  total_tokens: usage.promptTokens + usage.completionTokens,
});

function sendError(res: http.ServerResponse, wire: Wire, script: FailScript): void {
  const [openaiType, anthropicType] = ERROR_TYPES[script.status] ?? ['server_error', 'api_error'];
  const message = script.message ?? `fake upstream error ${script.status}`;
  const body =
    script.body ??
    (wire === 'ollama'
      ? { error: message }
      : wire === 'anthropic'
        ? { type: 'error', error: { type: script.type ?? anthropicType, message } }
        : { error: { message, type: script.type ?? openaiType, param: null, code: script.type ?? openaiType } });
  const headers = script.retryAfter !== undefined ? { 'retry-after': String(script.retryAfter) } : {};
  if (typeof body === 'string') {
    res.writeHead(script.status, { ...headers, 'content-type': 'text/html' });
    res.end(body);
  } else sendJson(res, script.status, body, headers);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}) {
  res.writeHead(status, { ...headers, 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function parseBody(raw: string): unknown {
  try {
    return raw ? (JSON.parse(raw) as unknown) : '';
  } catch {
    return raw;
  }
}
