import http from 'node:http';

export interface SseEvent {
  /** The `id:` line, when the event has one. */
  id?: number;
  event: string;
  data: unknown;
}

export interface SseResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  events: SseEvent[];
}

function parseEvents(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() && !block.startsWith(':'))
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
      const id = lines.find((l) => l.startsWith('id: '))?.slice(4);
      const data = lines
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      return {
        ...(id === undefined ? {} : { id: Number(id) }),
        event,
        data: data ? (JSON.parse(data) as unknown) : null,
      };
    });
}

/**
 * POSTs with `Accept: text/event-stream` and collects the events. `onEvent` sees each one as it arrives and
 * may return true to disconnect right there, as a browser tab being closed would.
 */
export function postSse(
  url: string,
  token: string,
  body: unknown,
  onEvent?: (event: SseEvent, all: SseEvent[]) => boolean | void,
): Promise<SseResponse> {
  const payload = JSON.stringify(body);
  return requestSse(
    url,
    'POST',
    { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    payload,
    onEvent,
  );
}

/** GETs an event stream (`headers` such as Last-Event-ID), with the same `onEvent` as postSse. */
export function getSse(
  url: string,
  token: string,
  headers: Record<string, string> = {},
  onEvent?: (event: SseEvent, all: SseEvent[]) => boolean | void,
): Promise<SseResponse> {
  return requestSse(url, 'GET', { ...headers, authorization: `Bearer ${token}` }, undefined, onEvent);
}

function requestSse(
  url: string,
  method: string,
  headers: Record<string, string>,
  payload: string | undefined,
  onEvent?: (event: SseEvent, all: SseEvent[]) => boolean | void,
): Promise<SseResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        headers: {
          ...headers,
          accept: 'text/event-stream',
          ...(payload === undefined ? {} : { 'content-length': String(Buffer.byteLength(payload)) }),
        },
      },
      (res) => {
        let buffer = '';
        const events: SseEvent[] = [];
        const finish = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, events: [...events] });
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end + 2);
            buffer = buffer.slice(end + 2);
            for (const event of parseEvents(block)) {
              events.push(event);
              if (onEvent?.(event, events)) {
                req.destroy();
                finish();
                return;
              }
            }
          }
        });
        res.on('end', () => {
          events.push(...parseEvents(buffer));
          finish();
        });
        res.on('error', () => finish());
      },
    );
    req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
    req.end(payload);
  });
}

/** The text of every `delta` event, joined: what a client shows of the answer. */
export const deltaText = (events: SseEvent[]): string =>
  events
    .filter((event) => event.event === 'delta')
    .map((event) => (event.data as { text: string }).text)
    .join('');

/** `count` distinct words, each with its trailing space: an answer's chunks whose joined text shows any gap. */
export const words = (count: number, prefix = 'w'): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}${i} `);

/** Events numbered one after the other, from `first`. */
export const expectConsecutive = (events: SseEvent[], first: number): void =>
  expect(events.map((event) => event.id)).toEqual(events.map((_, i) => first + i));
