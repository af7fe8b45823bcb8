'use strict';
// Scenario 7: what relaying every delta through Redis (REDIS_URL, for several processes) costs one process.
const { execFileSync } = require('node:child_process');
const http = require('node:http');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { createDatabase, migrate, ROOT } = require('../support/database');
const { check } = require('../support/report');
const { seed } = require('../support/seed');
const { startApp, login } = require('../support/server');
const { timeStream } = require('../support/sse-client');
const { freePort, median, nowMs, progress } = require('../support/util');
const { startUpstream, upstreamEnv } = require('./2-streaming-relay');

const CHUNKS = 1_000;

/** A throwaway Redis (Debian's redis-server, installed by .ci/start-redis when missing), without persistence. */
async function startRedis() {
  const dir = mkdtempSync(join(tmpdir(), 'colloquy-bench-redis-'));
  const port = await freePort();
  const url = execFileSync(join(ROOT, '.ci', 'start-redis'), [dir, String(port)], { encoding: 'utf8' }).trim();
  return {
    url,
    stop() {
      try {
        execFileSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave'], { stdio: 'ignore' });
      } catch {
        // Already gone.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function run(ctx) {
  const concurrent = ctx.quick ? 4 : 10;
  const rounds = ctx.quick ? 2 : 5;
  const model = `fast-${CHUNKS}`;
  const database = await createDatabase('s7');
  const stops = [];
  try {
    await migrate(database);
    const seeded = await seed(database, {
      messages: 1_000,
      users: 10,
      heavyConversations: 100,
      longConversation: false,
      model: `openai/${model}`,
    });
    const upstream = await startUpstream([model]);
    stops.push(() => upstream.stop());
    const redis = await startRedis();
    stops.push(async () => redis.stop());
    const conversations = seeded.conversationIds.filter((_, c) => seeded.owners[c] === 0 && !seeded.archived[c]);
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrent });

    /** `rounds` bursts of `concurrent` answers at once, each on a conversation of its own. */
    const measure = async (label, env) => {
      const app = await startApp(database, { probe: false, env: { ...upstreamEnv(upstream), ...env } });
      try {
        const token = await login(app.url, seeded.heavy.email, seeded.password);
        const burst = (round) =>
          Promise.all(
            Array.from({ length: concurrent }, (_, i) =>
              timeStream({
                url: `${app.url}/conversations/${conversations[(round * concurrent + i) % conversations.length]}/messages`,
                headers: { authorization: `Bearer ${token}` },
                body: { content: 'Tell me everything' },
                wire: 'relay',
                agent,
              }),
            ),
          );
        await burst(rounds); // warm-up
        const samples = [];
        for (let round = 0; round < rounds; round++) {
          progress(`scenario 7: ${label}, burst ${round + 1}/${rounds} of ${concurrent} answers of ${CHUNKS} deltas`);
          const started = nowMs();
          const streams = await burst(round);
          const elapsed = (nowMs() - started) / 1000;
          const good = streams.filter((s) => s.status === 200 && s.complete && s.deltas === CHUNKS && !s.error);
          samples.push({
            eventsPerSecond: good.reduce((sum, s) => sum + s.deltas, 0) / elapsed,
            errors: streams.length - good.length,
            firstDelta: median(good.map((s) => s.firstDeltaMs)),
          });
        }
        return {
          eventsPerSecond: median(samples.map((s) => s.eventsPerSecond)),
          firstDelta: median(samples.map((s) => s.firstDelta)),
          errors: samples.reduce((sum, s) => sum + s.errors, 0),
        };
      } finally {
        await app.stop();
      }
    };

    const alone = await measure('without Redis', {});
    const relayed = await measure('with REDIS_URL', { REDIS_URL: redis.url });
    const ratio = relayed.eventsPerSecond / alone.eventsPerSecond;
    return {
      notes: [
        `${rounds} bursts of ${concurrent} answers at once (each ${CHUNKS} deltas from the fake upstream, no delay), ` +
          'through one server process, first without REDIS_URL, then with it (every delta also appended to Redis: ' +
          'text, end offset and stream entry, auto-pipelined). Events/s: deltas received by all clients of a burst, ' +
          'divided by the burst time; the median burst.',
      ],
      tables: [
        {
          title: 'Deltas through one process',
          columns: ['REDIS_URL', 'deltas/s', 'first delta p50 (ms)', 'errors'],
          rows: [
            ['unset', alone.eventsPerSecond, alone.firstDelta, alone.errors],
            ['set', relayed.eventsPerSecond, relayed.firstDelta, relayed.errors],
            ['ratio (set / unset)', ratio, relayed.firstDelta / alone.firstDelta, null],
          ],
        },
      ],
      checks: [
        check('deltas/s with Redis vs without', ratio, '>=', 0.7),
        check('stream errors', alone.errors + relayed.errors, '<', 1),
      ],
      data: { alone, relayed, chunks: CHUNKS, concurrent, rounds },
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
    await database.drop();
  }
}

module.exports = { id: 7, title: 'Deltas through Redis', run };
