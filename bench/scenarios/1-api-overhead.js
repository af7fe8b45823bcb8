'use strict';
// Scenario 1: what the two busiest reads cost through the app, next to references that show where the time goes.
const { rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { createDatabase, migrate, openRaw } = require('../support/database');
const { measure } = require('../support/load');
const { check } = require('../support/report');
const { seed } = require('../support/seed');
const { startApp, startProcess, serverEnv, login, request, JWT_SECRET } = require('../support/server');
const { freePort, progress } = require('../support/util');
const { createVerify } = require('../support/verify');

const REFERENCES = [
  ['ceiling', '(a) node:http, body from memory'],
  ['floor-auth', '    + JWT verification'],
  ['floor-db', '    + the same SQL, prepared'],
  ['floor', '(b) floor: + mapping, JSON.stringify'],
];
const ORDER = ['ceiling', 'floor-auth', 'floor-db', 'floor', 'nest-trivial', 'app'];
const METRICS_TOKEN = 'bench-metrics-token-0123456789';

async function run(ctx) {
  const messages = ctx.quick ? 20_000 : 100_000;
  const database = await createDatabase('s1');
  const servers = [];
  const bodiesFile = join(tmpdir(), `colloquy-bench-bodies-${process.pid}.json`);
  const results = { rows: [] };
  try {
    await migrate(database);
    progress(`scenario 1: seeding ${messages.toLocaleString('en-US')} messages`);
    const seeded = await seed(database, { messages });

    // The app first: its answers are the bodies every reference serves or must reproduce. It runs as a team
    // would run it: with /metrics on and a default quota (the user administers it, as quotas are an admin's).
    const raw = await openRaw(database);
    await raw.run("UPDATE users SET role = 'admin' WHERE email = ?", [seeded.heavy.email]);
    await raw.close();
    const app = await startApp(database, { probe: false, env: { METRICS_TOKEN } });
    servers.push(app);
    const token = await login(app.url, seeded.heavy.email, seeded.password);
    const headers = { authorization: `Bearer ${token}` };
    const quota = await request({
      method: 'POST',
      url: `${app.url}/admin/quotas`,
      headers,
      body: { scope: 'default', window: 'day', maxRequests: 1_000_000, maxTokens: 1_000_000_000 },
    });
    if (quota.status !== 201) throw new Error(`POST /admin/quotas answered ${quota.status}: ${quota.text}`);
    const routes = {
      list: { path: '/conversations?limit=20', label: 'GET /conversations?limit=20' },
      history: {
        path: `/conversations/${seeded.heavy.longConversationId}/messages?limit=50`,
        label: 'GET /conversations/:id/messages?limit=50',
      },
    };
    const bodies = {};
    for (const [name, route] of Object.entries(routes)) {
      const response = await request({ url: app.url + route.path, headers });
      if (response.status !== 200) throw new Error(`${route.label} answered ${response.status}`);
      bodies[name] = response.text;
    }
    writeFileSync(bodiesFile, JSON.stringify(bodies));

    // Every server is up at once (an idle one costs nothing), so that rounds can alternate between them.
    const targets = { app: { server: app, path: (name) => routes[name].path } };
    for (const [mode] of REFERENCES) {
      const port = await freePort();
      const server = await startProcess({
        script: join(__dirname, '..', 'support', 'reference-server.js'),
        env: {
          ...process.env,
          BENCH_MODE: mode,
          BENCH_PORT: String(port),
          BENCH_BODIES: bodiesFile,
          BENCH_DATABASE_URL: database.url,
          BENCH_JWT_SECRET: JWT_SECRET,
        },
        port,
      });
      servers.push(server);
      targets[mode] = { server, path: (name) => routes[name].path };
    }
    const nestPort = await freePort();
    const nest = await startProcess({
      script: join(__dirname, '..', 'support', 'nest-trivial.js'),
      env: { ...serverEnv(database.url, nestPort), BENCH_BODIES: bodiesFile },
      port: nestPort,
    });
    servers.push(nest);
    targets['nest-trivial'] = { server: nest, path: (name) => `/bench/${name}` };

    // The floor must do exactly the route's job: its answers have to be the app's, byte for byte.
    for (const [name, route] of Object.entries(routes)) {
      const response = await request({ url: targets.floor.server.url + route.path, headers });
      results[`floorIdentical_${name}`] = response.text === bodies[name];
      if (!results[`floorIdentical_${name}`])
        throw new Error(`the floor's answer to ${route.label} differs from the app's`);
    }

    // Interleaved rounds; each server's best round is reported, which discounts other load on the machine.
    const load = { connections: ctx.connections, seconds: ctx.seconds, warmupSeconds: ctx.warmupSeconds, headers };
    for (let round = 1; round <= ctx.rounds; round++) {
      for (const name of Object.keys(routes)) {
        for (const variant of ORDER) {
          progress(`scenario 1: round ${round}/${ctx.rounds}, ${routes[name].label}, ${variant}`);
          const target = targets[variant];
          const measured = await measure({ url: target.server.url + target.path(name), ...load });
          results.rows.push({ round, route: name, variant, ...measured });
        }
      }
    }
    return report(results, routes, bodies, seeded, ctx);
  } finally {
    for (const server of servers) await server.stop();
    rmSync(bodiesFile, { force: true });
    await database.drop();
  }
}

function report(results, routes, bodies, seeded, ctx) {
  // The best round of each server (the most requests/s), with that round's latencies.
  const find = (route, variant) =>
    results.rows
      .filter((row) => row.route === route && row.variant === variant)
      .reduce((best, row) => (!best || row.requestsPerSecond > best.requestsPerSecond ? row : best), null);
  const labels = Object.fromEntries([
    ...REFERENCES,
    ['nest-trivial', '(c) Nest trivial route, body from memory'],
    ['app', 'the app'],
  ]);
  const tables = [];
  const checks = [];
  for (const [name, route] of Object.entries(routes)) {
    const floor = find(name, 'floor');
    const ceiling = find(name, 'ceiling');
    tables.push({
      title:
        `${route.label}: ${bodies[name].length.toLocaleString('en-US')} bytes; ${ctx.connections} connections, ` +
        `best of ${ctx.rounds} round(s) of ${ctx.seconds} s`,
      columns: ['server', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx+errors', 'vs floor', 'vs ceiling'],
      rows: ORDER.map((variant) => {
        const row = find(name, variant);
        return [
          labels[variant] + (row.valid ? '' : ' (INVALID)'),
          row.requestsPerSecond,
          row.p50,
          row.p99,
          row.non2xx + row.errors,
          row.requestsPerSecond / floor.requestsPerSecond,
          row.requestsPerSecond / ceiling.requestsPerSecond,
        ];
      }),
    });
    // Time per request at saturation, 1/throughput, split by the step that adds it.
    const us = (variant) => 1e6 / find(name, variant).requestsPerSecond;
    const app = us('app');
    const parts = [
      ['HTTP on node:http (ceiling)', us('ceiling')],
      ['JWT verification', us('floor-auth') - us('ceiling')],
      ['database (session and user lookup + route queries)', us('floor-db') - us('floor-auth')],
      ['mapping + JSON.stringify', us('floor') - us('floor-db')],
      ['Nest, TypeORM, logging and the rest (app - floor)', app - us('floor')],
    ];
    tables.push({
      title: `Where the time goes, ${route.label}: microseconds per request at saturation (1 / req/s)`,
      columns: ['step', 'us/request', 'share of app'],
      rows: [
        ...parts.map(([step, value]) => [step, value, value / app]),
        ['app total', app, 1],
        [
          '(Nest trivial route - ceiling: the framework alone)',
          us('nest-trivial') - us('ceiling'),
          (us('nest-trivial') - us('ceiling')) / app,
        ],
      ],
    });
    const appRow = find(name, 'app');
    checks.push(
      check(
        `${name}: app req/s vs floor`,
        appRow.requestsPerSecond / floor.requestsPerSecond,
        '>=',
        0.5,
        '',
        appRow.valid ? undefined : 'invalid row',
      ),
      check(`${name}: app p99`, appRow.p99, '<', 20, 'ms'),
    );
  }
  return {
    notes: [
      `Database: ${seeded.messages.toLocaleString('en-US')} messages, ${seeded.users} users, ${seeded.conversations.toLocaleString('en-US')} conversations; ` +
        `the user has ${seeded.heavy.conversations} conversations, the history is the first page of one of ${seeded.heavy.longMessages.toLocaleString('en-US')} messages.`,
      `Token verification in the floor: ${createVerify(JWT_SECRET).library}, as the built app sets it up. ` +
        `Floor answers identical to the app's: ${results.floorIdentical_list && results.floorIdentical_history ? 'yes' : 'no'}.`,
      'The app logs one JSON line per request (LOG_LEVEL=info, to /dev/null), as in production; that is part of its cost.',
      'The app runs with /metrics on (METRICS_TOKEN; every request is observed) and a default daily quota configured.',
      '(c) is the real AppModule plus one bench-only @Public() @SkipThrottle() controller answering the same body from memory.',
      'Each server is its own process; autocannon runs in the benchmark process on the same machine. The rounds ' +
        'alternate between the servers; the table shows the round with the most requests/s of each (all are in the JSON).',
    ],
    tables,
    checks,
    data: { rows: results.rows, bodyBytes: { list: bodies.list.length, history: bodies.history.length } },
  };
}

module.exports = { id: 1, title: 'API overhead', run };
