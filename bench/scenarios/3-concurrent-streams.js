'use strict';
// Scenario 3: many slow streams open at once through one server process: errors, memory, event-loop delay.
const http = require('node:http');
const { execFileSync } = require('node:child_process');
const { createDatabase, migrate } = require('../support/database');
const { check } = require('../support/report');
const { seed } = require('../support/seed');
const { startApp, login } = require('../support/server');
const { timeStream } = require('../support/sse-client');
const { nowMs, percentile, progress, sleep } = require('../support/util');
const { startUpstream, upstreamEnv } = require('./2-streaming-relay');

const MiB = 1024 * 1024;

function fileLimit() {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  } catch {
    return NaN;
  }
}

async function run(ctx) {
  const streams = ctx.quick ? 200 : 1_000;
  const users = ctx.quick ? 20 : 100;
  // Long enough that every stream can be open at once even when starting them takes a while.
  const chunks = ctx.quick ? 20 : 30;
  const delayMs = ctx.quick ? 250 : 1000;
  const model = `slow-${chunks}x${delayMs}`;
  // Each stream holds a socket in the client, two in the app (client and upstream) and one in the fake upstream.
  const limit = fileLimit();
  if (Number.isFinite(limit) && limit < streams * 2 + 500) {
    throw new Error(
      `ulimit -n is ${limit}; ${streams} streams need about ${streams * 2 + 500} (raise it: ulimit -n 65536)`,
    );
  }
  const database = await createDatabase('s3');
  const servers = [];
  try {
    await migrate(database);
    const seeded = await seed(database, {
      messages: streams * 2,
      users,
      conversationsPerUser: streams / users,
      heavyConversations: streams / users,
      longConversation: false,
      model: `openai/${model}`,
    });
    const upstream = await startUpstream([model, 'fast-20']);
    servers.push(upstream);
    const app = await startApp(database, { probe: true, env: upstreamEnv(upstream) });
    servers.push(app);

    progress(`scenario 3: signing in ${users} users`);
    const tokens = [];
    for (let u = 0; u < users; u += 4) {
      const batch = [];
      for (let i = u; i < Math.min(users, u + 4); i++) batch.push(login(app.url, seeded.emailOf(i), seeded.password));
      tokens.push(...(await Promise.all(batch)));
    }
    // A few quick streams first, so that the app's code paths are warm (model list cached, JIT compiled).
    const warmAgent = new http.Agent({ keepAlive: false });
    for (let c = 0; c < Math.min(10, seeded.conversations); c++) {
      await timeStream({
        url: `${app.url}/conversations/${seeded.conversationIds[c]}/messages`,
        headers: { authorization: `Bearer ${tokens[seeded.owners[c]]}` },
        body: { content: 'warm up', model: 'openai/fast-20' },
        wire: 'relay',
        agent: warmAgent,
      });
    }
    await sleep(2000);
    const before = await app.probe({ reset: true });

    progress(`scenario 3: ${streams} simultaneous streams of ${chunks} chunks ${delayMs} ms apart`);
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    // Streams open (first delta seen, end not yet), and the moment the most were open at once.
    let streaming = 0;
    let firstDeltas = 0;
    let firstDeltaAllMs = NaN;
    let peak = { streaming: 0, rss: before.rss, heapUsed: before.heapUsed };
    let sampling = true;
    const started = nowMs();
    const sampler = (async () => {
      while (sampling) {
        const open = streaming;
        const sample = await app.probe({});
        if (open > peak.streaming || (open === peak.streaming && sample.rss > peak.rss))
          peak = { streaming: open, rss: sample.rss, heapUsed: sample.heapUsed, atMs: nowMs() - started };
        await sleep(200);
      }
    })();
    const samples = await Promise.all(
      Array.from({ length: streams }, (_, i) =>
        timeStream({
          url: `${app.url}/conversations/${seeded.conversationIds[i]}/messages`,
          headers: { authorization: `Bearer ${tokens[seeded.owners[i]]}` },
          body: { content: `Question number ${i}: how are you today?` },
          wire: 'relay',
          agent,
          timeoutMs: 120_000,
          onFirstDelta: () => {
            streaming++;
            if (++firstDeltas === streams) firstDeltaAllMs = nowMs() - started;
          },
        }).then((result) => {
          if (result.deltas > 0) streaming--;
          return result;
        }),
      ),
    );
    const wallMs = nowMs() - started;
    sampling = false;
    await sampler;
    const after = await app.probe({});
    const atPeak = peak;

    const failed = samples.filter((s) => s.status !== 200 || !s.complete || s.deltas !== chunks || s.error);
    const perStream = atPeak.streaming > 0 ? (atPeak.rss - before.rss) / atPeak.streaming : NaN;
    const data = {
      streams,
      users,
      chunks,
      delayMs,
      errors: failed.length,
      errorSamples: failed.slice(0, 5),
      rssBefore: before.rss,
      rssAtPeak: atPeak.rss,
      mostOpenAtOnce: atPeak.streaming,
      peakAtMs: atPeak.atMs,
      heapUsedBefore: before.heapUsed,
      heapUsedAtPeak: atPeak.heapUsed,
      bytesPerStream: perStream,
      eventLoopDelay: after.eventLoopDelay,
      allFirstDeltasMs: firstDeltaAllMs,
      wallMs,
      firstDelta: {
        p50: percentile(
          samples.map((s) => s.firstDeltaMs),
          50,
        ),
        p99: percentile(
          samples.map((s) => s.firstDeltaMs),
          99,
        ),
      },
      total: {
        p50: percentile(
          samples.map((s) => s.totalMs),
          50,
        ),
        p99: percentile(
          samples.map((s) => s.totalMs),
          99,
        ),
      },
    };
    return {
      notes: [
        `${streams} POST /conversations/:id/messages (Accept: text/event-stream) at once, over ${users} users and ${streams} ` +
          `conversations, each streaming ${chunks} chunks ${delayMs} ms apart from a fake upstream in its own process ` +
          `(about ${((chunks * delayMs) / 1000).toFixed(0)} s a stream).`,
        'Memory from the server process itself (process.memoryUsage via a preloaded probe, sampled every 200 ms): ' +
          'before = idle after a warm-up; peak = the sample with the most streams open (first delta seen, not yet ' +
          'ended); per stream = (peak - before) / streams open then. Event-loop delay over the whole run.',
        'An error is a status other than 200, a missing assistant_message event, or a stream without every chunk.',
      ],
      tables: [
        {
          title: `${streams} simultaneous streams`,
          columns: ['measure', 'value'],
          rows: [
            ['errors', data.errors],
            ['resident memory before (MiB)', before.rss / MiB],
            ['resident memory at peak (MiB)', atPeak.rss / MiB],
            ['most streams open at once', atPeak.streaming],
            ['memory per open stream (KiB)', perStream / 1024],
            [
              'JS heap before / at peak (MiB)',
              `${(before.heapUsed / MiB).toFixed(1)} / ${(atPeak.heapUsed / MiB).toFixed(1)}`,
            ],
            [
              'event-loop delay p50 / p99 / max (ms)',
              `${after.eventLoopDelay.p50.toFixed(1)} / ${after.eventLoopDelay.p99.toFixed(1)} / ${after.eventLoopDelay.max.toFixed(1)}`,
            ],
            ['time until every stream had its first delta (ms)', firstDeltaAllMs],
            ['first delta p50 / p99 (ms)', `${data.firstDelta.p50.toFixed(0)} / ${data.firstDelta.p99.toFixed(0)}`],
            ['whole stream p50 / p99 (ms)', `${data.total.p50.toFixed(0)} / ${data.total.p99.toFixed(0)}`],
            ['all streams done after (ms)', wallMs],
          ],
        },
      ],
      checks: [
        check('errors', data.errors, '<', 1),
        check('memory per open stream', perStream / 1024, '<', 64, 'KiB'),
        check('event-loop delay p99', after.eventLoopDelay.p99, '<', 50, 'ms'),
      ],
      data,
    };
  } finally {
    for (const server of servers.reverse()) await server.stop();
    await database.drop();
  }
}

module.exports = { id: 3, title: 'Concurrent streams', run };
