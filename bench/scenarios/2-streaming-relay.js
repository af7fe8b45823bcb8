'use strict';
// Scenario 2: what relaying a model's stream through the app adds, next to reading the same stream directly.
const http = require('node:http');
const { join } = require('node:path');
const { createDatabase, migrate } = require('../support/database');
const { check } = require('../support/report');
const { seed } = require('../support/seed');
const { startApp, startProcess, login } = require('../support/server');
const { readEvents, timeStream } = require('../support/sse-client');
const { freePort, percentile, median, progress, sleep } = require('../support/util');

const CHUNKS = 200;
/** Still answering when the client comes back: 40 chunks 10 ms apart. */
const RESUME_MODEL = 'slow-40x10';
/** Deltas read before leaving, and how long the client stays away (a few more deltas are published meanwhile). */
const RESUME_AFTER_DELTAS = 3;
const AWAY_MS = 50;

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
    const upstream = await startUpstream([model, RESUME_MODEL]);
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
    progress(`scenario 2: ${runs} resumes (leave after ${RESUME_AFTER_DELTAS} deltas, come back ${AWAY_MS} ms later)`);
    const resumes = [];
    for (let i = 0; i < warmup + runs; i++) {
      const sample = await resumeOnce(app.url, token, heavyConversations[i % heavyConversations.length]);
      if (i >= warmup) resumes.push(sample);
    }
    return report(samples, runs, seeded, resumes);
  } finally {
    for (const server of servers.reverse()) await server.stop();
    await database.drop();
  }
}

/**
 * Starts an answer from the slow model, reads a few deltas, disconnects, and comes back AWAY_MS later with
 * Last-Event-ID: the time from that request to the first event replayed (the one after the last seen). The
 * generation is then cancelled, so that the conversation is free for the next round.
 */
async function resumeOnce(url, token, conversationId) {
  const auth = { authorization: `Bearer ${token}` };
  // New connections each time, as a client coming back after a dropped one makes.
  const agent = new http.Agent({ keepAlive: false });
  let generationId = null;
  let lastId = 0;
  let deltas = 0;
  const left = await readEvents({
    url: `${url}/conversations/${conversationId}/messages`,
    method: 'POST',
    headers: auth,
    body: { content: 'Keep talking while I am away.', model: `openai/${RESUME_MODEL}` },
    agent,
    onEvent: (event) => {
      lastId = event.id;
      if (event.event === 'generation') generationId = JSON.parse(event.data).id;
      if (event.event === 'delta') deltas++;
      return deltas >= RESUME_AFTER_DELTAS;
    },
  });
  if (left.error || !generationId) return { ms: NaN, error: left.error ?? `status ${left.status}, no generation` };
  await sleep(AWAY_MS);
  let first = null;
  const back = await readEvents({
    url: `${url}/conversations/${conversationId}/generations/${generationId}/events`,
    headers: { ...auth, 'last-event-id': String(lastId) },
    agent,
    onEvent: (event, atMs) => {
      first = { ...event, atMs };
      return true;
    },
  });
  await new Promise((resolve, reject) =>
    http
      .request(`${url}/conversations/${conversationId}/generations/${generationId}/cancel`, {
        method: 'POST',
        headers: auth,
        agent,
      })
      .on('response', (res) => res.resume().on('end', resolve))
      .on('error', reject)
      .end(),
  );
  if (back.error || !first) return { ms: NaN, error: back.error ?? `status ${back.status}, no event` };
  // The first event must be the one after the last seen, and already there: a delta, not the live end.
  if (first.id !== lastId + 1 || first.event !== 'delta') {
    return { ms: NaN, error: `came back after ${lastId} and got ${first.event} ${first.id}` };
  }
  return { ms: first.atMs, error: null };
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

function report(samples, runs, seeded, resumeSamples) {
  const direct = summarize(samples.direct);
  const relay = summarize(samples.relay);
  const resumed = resumeSamples.filter((s) => !s.error).map((s) => s.ms);
  const resume = {
    runs: resumeSamples.length,
    errors: resumeSamples.length - resumed.length,
    p50: percentile(resumed, 50),
    p99: percentile(resumed, 99),
    errorSamples: resumeSamples.filter((s) => s.error).slice(0, 3),
  };
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
      `Resume: ${resume.runs} times, a send to the model ${RESUME_MODEL} (40 chunks 10 ms apart) read up to its ` +
        `${RESUME_AFTER_DELTAS}rd delta and left; ${AWAY_MS} ms later GET .../generations/:generationId/events with ` +
        'Last-Event-ID on a new connection, timed to the first event replayed (which must be the next delta); then ' +
        'the generation is cancelled.',
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
      {
        title: 'Resume: reconnect with Last-Event-ID to the first replayed event (ms)',
        columns: ['runs', 'p50', 'p99', 'errors'],
        rows: [[resume.runs, resume.p50, resume.p99, resume.errors]],
      },
    ],
    checks: [
      check('added time to first delta, p50', relay.firstDelta.p50 - direct.firstDelta.p50, '<', 3, 'ms'),
      check('relay chunks/s (streaming) vs direct', streamingRatio, '>=', 0.7),
      check('stream errors', direct.errors + relay.errors, '<', 1),
      check('resume to the first replayed event, p50', resume.p50, '<', 10, 'ms'),
      check('resume errors', resume.errors, '<', 1),
    ],
    data: { direct, relay, resume, chunks: CHUNKS, conversations: seeded.heavy.conversations },
  };
}

module.exports = { id: 2, title: 'Streaming relay', run, startUpstream, upstreamEnv };
