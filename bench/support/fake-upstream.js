'use strict';
/**
 * A fake OpenAI-compatible model server for scenarios 2, 3, 7 and 8, run as its own process
 * (`BENCH_PORT=... node fake-upstream.js`). It answers `GET /v1/models` and `POST /v1/chat/completions`: streamed
 * as `chat.completion.chunk` frames ending with `data: [DONE]`, or, without `stream: true`, as one
 * `chat.completion`.
 *
 * The model name says how it streams: `fast-<n>` sends n chunks as fast as it can, one write per chunk with a
 * turn of the event loop between them (as a server generating tokens one at a time does); `slow-<n>x<ms>`
 * sends n chunks `ms` apart.
 */
const http = require('node:http');
const { setImmediate, setTimeout } = require('node:timers');

const port = Number(process.env.BENCH_PORT);
const MODELS = (process.env.BENCH_MODELS ?? 'fast-200,slow-20x250').split(',');
const TOKENS = ' the answer is that it depends on what you need and how you plan to use it'.split(/(?= )/);

const frame = (data) => `data: ${JSON.stringify(data)}\n\n`;
const base = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000 };
const chunk = (model, delta, finish = null) =>
  frame({ ...base, model, choices: [{ index: 0, delta, finish_reason: finish }] });

function parseModel(name) {
  const fast = /^fast-(\d+)$/.exec(name);
  if (fast) return { chunks: Number(fast[1]), delayMs: 0 };
  const slow = /^slow-(\d+)x(\d+)$/.exec(name);
  if (slow) return { chunks: Number(slow[1]), delayMs: Number(slow[2]) };
  return null;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function stream(req, res, body) {
  const model = body.model;
  const plan = parseModel(model);
  if (!plan) {
    res.writeHead(400, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ error: { message: `unknown model ${model}`, type: 'invalid_request_error' } }));
  }
  const usage = { prompt_tokens: 20, completion_tokens: plan.chunks, total_tokens: 20 + plan.chunks };
  if (body.stream !== true) {
    if (plan.delayMs > 0) await wait(plan.delayMs * plan.chunks);
    const content = Array.from({ length: plan.chunks }, (_, i) => TOKENS[i % TOKENS.length]).join('');
    const message = { role: 'assistant', content };
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(
      JSON.stringify({
        id: 'chatcmpl-bench',
        object: 'chat.completion',
        created: 1_700_000_000,
        model,
        choices: [{ index: 0, message, finish_reason: 'stop' }],
        usage,
      }),
    );
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(chunk(model, { role: 'assistant', content: '' }));
  for (let i = 0; i < plan.chunks; i++) {
    if (plan.delayMs > 0) await wait(plan.delayMs);
    else await tick();
    if (res.destroyed) return;
    res.write(chunk(model, { content: TOKENS[i % TOKENS.length] }));
  }
  res.end(chunk(model, {}, 'stop') + frame({ ...base, model, choices: [], usage }) + 'data: [DONE]\n\n');
}

http
  .createServer((req, res) => {
    let raw = '';
    req.on('data', (data) => (raw += data));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json' });
        const data = MODELS.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'bench' }));
        return res.end(JSON.stringify({ object: 'list', data }));
      }
      if (req.method === 'GET' && req.url === '/health') return res.end('ok');
      if (req.method === 'POST' && req.url === '/v1/chat/completions') {
        let body;
        try {
          body = JSON.parse(raw);
        } catch {
          body = {};
        }
        return void stream(req, res, body).catch(() => res.destroy());
      }
      res.writeHead(404).end();
    });
  })
  .listen(port, '127.0.0.1');
