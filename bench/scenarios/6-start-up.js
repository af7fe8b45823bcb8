'use strict';
// Scenario 6: how long the server takes to be healthy, and what it holds in memory when idle.
const { createDatabase, migrate } = require('../support/database');
const { check } = require('../support/report');
const { seed } = require('../support/seed');
const { startApp } = require('../support/server');
const { median, progress, sleep } = require('../support/util');

const MiB = 1024 * 1024;

async function run(ctx) {
  const starts = ctx.quick ? 3 : 5;
  const database = await createDatabase('s6');
  try {
    await migrate(database);
    await seed(database, { messages: 10_000 });
    const samples = [];
    for (let i = 1; i <= starts; i++) {
      progress(`scenario 6: start ${i}/${starts}`);
      // No probe and no IPC channel: the process is started exactly as in production.
      const app = await startApp(database, { probe: false });
      await sleep(2000);
      const idleRss = app.rss();
      if (app.exited())
        throw new Error(`the server exited while idle (${JSON.stringify(app.exited())}):\n${app.stderr()}`);
      samples.push({ readyMs: app.readyMs, idleRss });
      await app.stop();
    }
    const ready = median(samples.map((s) => s.readyMs));
    const rss = samples.every((s) => s.idleRss) ? median(samples.map((s) => s.idleRss)) : NaN;
    return {
      notes: [
        `${starts} starts of \`node dist/main.js\` on an already migrated database with 10,000 messages: time from spawn ` +
          'to the first 200 from GET /health (polled every 10 ms), and resident memory (/proc) after 2 s idle.',
      ],
      tables: [
        {
          title: 'Start-up',
          columns: ['start', 'healthy after (ms)', 'idle resident memory (MiB)'],
          rows: [
            ...samples.map((s, i) => [String(i + 1), s.readyMs, s.idleRss ? s.idleRss / MiB : null]),
            ['median', ready, rss / MiB],
          ],
        },
      ],
      checks: [
        check('healthy after, median', ready, '<', 500, 'ms'),
        check('idle resident memory, median', rss / MiB, '<', 150, 'MiB'),
      ],
      data: { samples },
    };
  } finally {
    await database.drop();
  }
}

module.exports = { id: 6, title: 'Start-up', run };
