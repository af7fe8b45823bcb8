'use strict';
// Scenario 2: what relaying a model's stream through the app adds, next to reading the same stream directly.
const http = require('node:http');
const { join } = require('node:path');
const { createDatabase, migrate } = require('../support/database');
const { check } = require('../support/report');
const { seed } = require('../support/seed');
const { startApp, startProcess, login } = require('../support/server');
const { timeStream } = require('../support/sse-client');
const { freePort, percentile, median, progress } = require('../support/util');

const CHUNKS = 200;

/** Starts the fake model server in its own process. */
async function startUpstream(models) {
  const port = await freePort();
  return startProcess({
    script: join(__dirname, '..', 'support', 'fake-upstream.js'),
    env: { ...process.env, BENCH_PORT: String(port), BENCH_MODELS: models.join(',') },
    port,
  });
}

/** The app's settings for a fake upstream at `upstream`. */
const upstreamEnv = (upstream) => ({
  OPENAI_BASE_URL: `${upstream.url}/v1`,
  OPENAI_API_KEY: 'sk-bench-not-a-real-key',
});

async function run(ctx) {
  const runs = ctx.quick ? 30 : 100;
  const warmup = ctx.quick ? 5 : 10;
  const model = `fast-${CHUNKS}`;
  const database = await createDatabase('s2');
  const servers = [];
  try {
    await migrate(database);
    const seeded = await seed(database, {
      messages: 2_000,
      users: 10,
      heavyConversations: 100,
      longConversation: false,
      model: `openai/${model}`,
    });
    const upstream = await startUpstream([model]);
    servers.push(upstream);
    const app = await startApp(database, { probe: false, env: upstreamEnv(upstream) });
    servers.push(app);
    const token = await login(app.url, seeded.heavy.email, seeded.password);
    const heavyConversations = seeded.conversationIds.filter((_, c) => seeded.owners[c] === 0 && !seeded.archived[c]);
    const agent = new http.Agent({ keepAlive: true });

    const direct = () =>
      timeStream({
        url: `${upstream.url}/v1/chat/completions`,
        body: { model, stream: true, messages: [{ role: 'user', content: 'How fast can you answer?' }] },
        wire: 'openai',
        agent,
      });
    let turn = 0;
    const relay = () =>
      timeStream({
        url: `${app.url}/conversations/${heavyConversations[turn++ % heavyConversations.length]}/messages`,
        headers: { authorization: `Bearer ${token}` },
        body: { content: 'How fast can you answer?' },
        wire: 'relay',
        agent,
      });

    progress(
      `scenario 2: ${warmup} warm-up and ${runs} measured streams of ${CHUNKS} chunks, direct and relayed in turn`,
    );
    for (let i = 0; i < warmup; i++) {
      await direct();
      await relay();
    }
    const samples = { direct: [], relay: [] };
    for (let i = 0; i < runs; i++) {
      samples.direct.push(await direct());
      samples.relay.push(await relay());
    }
    return report(samples, runs, seeded);
  } finally {
    for (const server of servers.reverse()) await server.stop();
    await database.drop();
  }
}

function summarize(list) {
  const good = list.filter((s) => s.status === 200 && s.complete && s.deltas === CHUNKS && !s.error);
  const window = good
    .filter((s) => s.lastDeltaMs > s.firstDeltaMs)
    .map((s) => (s.deltas - 1) / ((s.lastDeltaMs - s.firstDeltaMs) / 1000));
  return {
    runs: list.length,
    errors: list.length - good.length,
    firstDelta: {
      p50: percentile(
        good.map((s) => s.firstDeltaMs),
        50,
      ),
      p99: percentile(
        good.map((s) => s.firstDeltaMs),
        99,
      ),
    },
    total: {
      p50: percentile(
        good.map((s) => s.totalMs),
        50,
      ),
      p99: percentile(
        good.map((s) => s.totalMs),
        99,
      ),
    },
    chunksPerSecondStreaming: median(window),
    chunksPerSecondWhole: median(good.map((s) => CHUNKS / (s.totalMs / 1000))),
    errorSamples: list.filter((s) => !good.includes(s)).slice(0, 3),
  };
}

function report(samples, runs, seeded) {
  const direct = summarize(samples.direct);
  const relay = summarize(samples.relay);
  const row = (name, s) => [
    name,
    s.firstDelta.p50,
    s.firstDelta.p99,
    s.total.p50,
    s.total.p99,
    s.chunksPerSecondStreaming,
    s.chunksPerSecondWhole,
    s.errors,
  ];
  const streamingRatio = relay.chunksPerSecondStreaming / direct.chunksPerSecondStreaming;
  return {
    notes: [
      `${runs} streams of ${CHUNKS} chunks each way, one at a time, direct and relayed in turn, after a warm-up. The fake ` +
        'upstream (its own process) writes one chunk per turn of its event loop, with no delay.',
      'Relayed: POST /conversations/:id/messages with Accept: text/event-stream on a conversation with about 10 ' +
        'messages; it stores the user message, sends the history upstream, relays each delta and stores the answer.',
      '"streaming" chunks/s counts from the first delta to the last; "whole" divides by the whole request time.',
    ],
    tables: [
      {
        title: 'Time to first delta and whole stream (ms), chunks/s',
        columns: [
          'client',
          'first p50',
          'first p99',
          'whole p50',
          'whole p99',
          'chunks/s streaming',
          'chunks/s whole',
          'errors',
        ],
        rows: [
          row('direct to the upstream', direct),
          row('through the app', relay),
          [
            'added by the app (ms) / ratio',
            relay.firstDelta.p50 - direct.firstDelta.p50,
            relay.firstDelta.p99 - direct.firstDelta.p99,
            relay.total.p50 - direct.total.p50,
            relay.total.p99 - direct.total.p99,
            streamingRatio,
            relay.chunksPerSecondWhole / direct.chunksPerSecondWhole,
            null,
          ],
        ],
      },
    ],
    checks: [
      check('added time to first delta, p50', relay.firstDelta.p50 - direct.firstDelta.p50, '<', 3, 'ms'),
      check('relay chunks/s (streaming) vs direct', streamingRatio, '>=', 0.7),
      check('stream errors', direct.errors + relay.errors, '<', 1),
    ],
    data: { direct, relay, chunks: CHUNKS, conversations: seeded.heavy.conversations },
  };
}

module.exports = { id: 2, title: 'Streaming relay', run, startUpstream, upstreamEnv };
