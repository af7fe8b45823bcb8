'use strict';
// Scenario 10: what running it for a team costs: a quota check in front of every send, and scraping /metrics
// while the server is busy.
const http = require('node:http');
const { createDatabase, migrate, openRaw } = require('../support/database');
const { measure } = require('../support/load');
const { check } = require('../support/report');
const { seed } = require('../support/seed');
const { startApp, login, request } = require('../support/server');
const { timeStream } = require('../support/sse-client');
const { nowMs, percentile, progress, sleep } = require('../support/util');

const METRICS_TOKEN = 'bench-metrics-token-0123456789';

/** Series updates a second made against the registry alone (below): the target's rate. */
const REGISTRY_UPDATES_PER_SECOND = 10_000;

/**
 * The app's own metrics registry (MetricsService from the build), in this process, with the series a busy server
 * has (40 route templates by 3 methods by 4 statuses, 6 models by provider, outcomes and kinds), updated
 * REGISTRY_UPDATES_PER_SECOND times a second in the same event loop while it is scraped every 100 ms as /metrics
 * does (`registry.metrics()`). This machine's HTTP load makes about a tenth of that rate in the server (see the
 * scrape through HTTP), so the rate is applied here directly; what it leaves out is the HTTP request of a scrape.
 */
async function registryUnderUpdates(seconds) {
  const { MetricsService } = require('../../dist/common/metrics/metrics.service');
  const metrics = new MetricsService({ metricsToken: METRICS_TOKEN });
  const routes = Array.from({ length: 40 }, (_, i) => `/route-${i}/:id`);
  const methods = ['GET', 'POST', 'DELETE'];
  const statuses = ['200', '201', '404', '429'];
  const models = Array.from({ length: 6 }, (_, i) => ({ provider: `provider-${i % 3}`, model: `model-${i}` }));
  const outcomes = ['complete', 'cancelled', 'error'];
  let n = 0;
  // One update each: an HTTP observation mostly, and the model series a call moves.
  const update = () => {
    n++;
    const m = models[n % models.length];
    switch (n % 8) {
      case 0:
        return metrics.modelRequests.inc({ ...m, outcome: outcomes[n % 3] });
      case 1:
        return metrics.timeToFirstToken.observe(m, (n % 100) / 100);
      case 2:
        return metrics.modelTokens.inc({ ...m, kind: n % 2 ? 'prompt' : 'completion' }, 10);
      case 3:
        return metrics.streamDuration.observe({ ...m, outcome: outcomes[n % 3] }, (n % 300) / 10);
      default:
        return metrics.httpRequestDuration.observe(
          { route: routes[n % routes.length], method: methods[n % 3], status: statuses[n % 4] },
          (n % 1000) / 10_000,
        );
    }
  };
  // Every label combination once, as on a server that has been up a while.
  for (let i = 0; i < 40 * 3 * 4 * 8; i++) update();

  const started = nowMs();
  const end = started + seconds * 1000;
  let done = 0;
  let updating = true;
  const updater = (async () => {
    while (updating) {
      const due = Math.floor(((nowMs() - started) / 1000) * REGISTRY_UPDATES_PER_SECOND);
      for (; done < due; done++) update();
      await sleep(1);
    }
  })();
  const scrapes = [];
  let bytes = 0;
  while (nowMs() < end) {
    const at = nowMs();
    bytes = (await metrics.registry.metrics()).length;
    scrapes.push(nowMs() - at);
    await sleep(100);
  }
  updating = false;
  await updater;
  return { scrapes, bytes, updatesPerSecond: done / ((nowMs() - started) / 1000) };
}

/** Every counter and histogram observation in a scrape of our own series, summed: updates made so far. */
function updatesIn(text) {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('colloquy_')) continue;
    const [name] = line.split(/[{ ]/);
    if (!name.endsWith('_total') && !name.endsWith('_count')) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
  }
  return total;
}

async function run(ctx) {
  const rounds = ctx.quick ? 2 : 5;
  const perRound = ctx.quick ? 20 : 60;
  const seconds = ctx.quick ? 3 : 8;
  const database = await createDatabase('s10');
  let app;
  try {
    await migrate(database);
    const seeded = await seed(database, {
      messages: 5_000,
      users: 10,
      heavyConversations: 50,
      longConversation: false,
      model: 'echo/echo',
    });
    // The seeded heavy user administers the server: quotas are an admin's.
    const raw = await openRaw(database);
    await raw.run("UPDATE users SET role = 'admin' WHERE email = ?", [seeded.heavy.email]);
    await raw.close();
    app = await startApp(database, { probe: false, env: { METRICS_TOKEN } });
    const token = await login(app.url, seeded.heavy.email, seeded.password);
    const auth = { authorization: `Bearer ${token}` };
    const conversations = seeded.conversationIds.filter((_, c) => seeded.owners[c] === 0 && !seeded.archived[c]);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

    let turn = 0;
    const send = async () => {
      const result = await timeStream({
        url: `${app.url}/conversations/${conversations[turn++ % conversations.length]}/messages`,
        headers: auth,
        body: { content: 'Count this against my quota.' },
        wire: 'relay',
        agent,
      });
      return result.complete && !result.error ? result.totalMs : NaN;
    };
    const policy = async () => {
      const created = await request({
        method: 'POST',
        url: `${app.url}/admin/quotas`,
        headers: auth,
        body: { scope: 'default', window: 'day', maxRequests: 1_000_000, maxTokens: 1_000_000_000 },
      });
      if (created.status !== 201) throw new Error(`POST /admin/quotas answered ${created.status}: ${created.text}`);
      return created.json.id;
    };

    progress(`scenario 10: ${rounds} rounds of ${perRound} sends without a quota and with one, in turn`);
    const sends = { without: [], with: [] };
    let failed = 0;
    for (let round = -1; round < rounds; round++) {
      for (let i = 0; i < perRound; i++) {
        const ms = await send();
        if (Number.isNaN(ms)) failed++;
        else if (round >= 0) sends.without.push(ms);
      }
      const id = await policy();
      for (let i = 0; i < perRound; i++) {
        const ms = await send();
        if (Number.isNaN(ms)) failed++;
        else if (round >= 0) sends.with.push(ms);
      }
      const removed = await request({ method: 'DELETE', url: `${app.url}/admin/quotas/${id}`, headers: auth });
      if (removed.status !== 204) throw new Error(`DELETE /admin/quotas answered ${removed.status}`);
    }

    progress(`scenario 10: scraping /metrics every 100 ms for ${seconds} s under load`);
    const scrape = async () => {
      const started = nowMs();
      const response = await request({
        url: `${app.url}/metrics`,
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
      return { ms: nowMs() - started, at: nowMs(), updates: updatesIn(response.text), bytes: response.text.length };
    };
    const idle = [];
    for (let i = 0; i < 20; i++) idle.push((await scrape()).ms);
    const busy = [];
    let scraping = true;
    const scraper = (async () => {
      while (scraping) {
        busy.push(await scrape());
        await sleep(100);
      }
    })();
    const loaded = await measure({
      url: `${app.url}/conversations?limit=20`,
      headers: auth,
      connections: 16,
      seconds,
      warmupSeconds: 1,
    });
    scraping = false;
    await scraper;
    const first = busy[0];
    const last = busy[busy.length - 1];
    const updatesPerSecond = (last.updates - first.updates) / ((last.at - first.at) / 1000);
    const scrapeMs = busy.map((sample) => sample.ms);
    await app.stop();
    app = undefined;

    progress(`scenario 10: the metrics registry alone, ${REGISTRY_UPDATES_PER_SECOND} updates/s for ${seconds} s`);
    const registry = await registryUnderUpdates(seconds);
    const added = percentile(sends.with, 50) - percentile(sends.without, 50);

    return {
      notes: [
        `Sends: a message to the echo model, timed to the end of its stream, one at a time; ${rounds} rounds of ` +
          `${perRound} without any quota and ${perRound} with a default daily quota (requests and tokens), ` +
          'created and deleted through the API between them. Scrapes: GET /metrics every 100 ms while 16 ' +
          `connections read the conversation list for ${seconds} s; updates/s are the server's own counters and ` +
          'histogram observations between the first and the last scrape.',
        `${busy.length} scrapes of ${(last.bytes / 1024).toFixed(1)} KiB; ${failed} sends failed`,
        `Registry alone: the app's metrics registry in the benchmark's process with the series of a busy server, ` +
          `${REGISTRY_UPDATES_PER_SECOND} updates/s applied in the same event loop, scraped every 100 ms ` +
          `(${registry.scrapes.length} scrapes of ${(registry.bytes / 1024).toFixed(1)} KiB); no HTTP, and not a check.`,
      ],
      tables: [
        {
          title: 'A send (ms)',
          columns: ['quota', 'p50', 'p99'],
          rows: [
            ['none', percentile(sends.without, 50), percentile(sends.without, 99)],
            ['a default daily quota', percentile(sends.with, 50), percentile(sends.with, 99)],
            ['added by the quota', added, null],
          ],
        },
        {
          title: 'GET /metrics (ms)',
          columns: ['while', 'p50', 'p99', 'series updates/s', 'list req/s'],
          rows: [
            ['idle', percentile(idle, 50), percentile(idle, 99), null, null],
            [
              'under load',
              percentile(scrapeMs, 50),
              percentile(scrapeMs, 99),
              updatesPerSecond,
              loaded.requestsPerSecond,
            ],
            [
              'registry alone, updated',
              percentile(registry.scrapes, 50),
              percentile(registry.scrapes, 99),
              registry.updatesPerSecond,
              null,
            ],
          ],
        },
      ],
      checks: [
        check('quota check added to a send, p50', added, '<', 0.5, 'ms'),
        check('/metrics scrape under load, p99', percentile(scrapeMs, 99), '<', 50, 'ms'),
        // The target's rate, made by the server itself; the registry alone (above) is shown, not checked: its
        // rate is applied by this benchmark and says nothing of what the server can do.
        check('series updates/s during the scrapes', updatesPerSecond, '>=', 10_000),
        check('failed sends', failed, '<', 1),
      ],
      data: { sends, idle, busy: scrapeMs, updatesPerSecond, loaded, registry },
    };
  } finally {
    await app?.stop();
    await database.drop();
  }
}

module.exports = { id: 10, title: 'Quotas and metrics', run };
