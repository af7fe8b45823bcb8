'use strict';
// Scenario 5: logins as fast as they come, and whether the rest of the server still answers meanwhile.
const { createDatabase, migrate } = require('../support/database');
const { measure } = require('../support/load');
const { check } = require('../support/report');
const { seed } = require('../support/seed');
const { startApp, login } = require('../support/server');
const { progress, sleep } = require('../support/util');

const USERS = 50;
const LOGIN_CONNECTIONS = 16;
const HEALTH_RATE = 20;

async function run(ctx) {
  const seconds = ctx.quick ? 3 : 10;
  const database = await createDatabase('s5');
  try {
    await migrate(database);
    const seeded = await seed(database, { messages: 1_000, users: USERS, longConversation: false });
    const app = await startApp(database, { probe: true });
    try {
      for (let u = 0; u < 4; u++) await login(app.url, seeded.emailOf(u), seeded.password);
      const health = { url: `${app.url}/health`, connections: 2, overallRate: HEALTH_RATE, seconds, warmupSeconds: 1 };

      progress(`scenario 5: GET /health alone at ${HEALTH_RATE}/s for ${seconds} s`);
      await app.probe({ reset: true });
      const idle = await measure(health);
      const idleLoop = (await app.probe({})).eventLoopDelay;

      progress(
        `scenario 5: POST /auth/login over ${LOGIN_CONNECTIONS} connections, and GET /health at ${HEALTH_RATE}/s, for ${seconds} s`,
      );
      // Every seeded user in turn, so that no one account is hammered; every login is valid.
      const requests = Array.from({ length: USERS }, (_, u) => ({
        method: 'POST',
        path: '/auth/login',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: seeded.emailOf(u), password: seeded.password }),
      }));
      await sleep(500);
      await app.probe({ reset: true });
      const [logins, busy] = await Promise.all([
        measure({ url: app.url, requests, connections: LOGIN_CONNECTIONS, seconds, warmupSeconds: 1 }),
        measure(health),
      ]);
      const loop = (await app.probe({})).eventLoopDelay;

      return {
        notes: [
          `${LOGIN_CONNECTIONS} connections POST /auth/login with the right passwords of ${USERS} users in turn (argon2id, ` +
            "the app's parameters), while two more connections ask GET /health 20 times a second in all; both for " +
            `${seconds} s after a 1 s warm-up. Event-loop delay is the server's own (monitorEventLoopDelay).`,
          `libuv thread pool: ${process.env.UV_THREADPOOL_SIZE ? `UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE}` : 'default size (4)'}.`,
        ],
        tables: [
          {
            title: 'Logins and health checks',
            columns: ['what', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx+errors'],
            rows: [
              [
                'POST /auth/login (flood)' + (logins.valid ? '' : ' (INVALID)'),
                logins.requestsPerSecond,
                logins.p50,
                logins.p99,
                logins.non2xx + logins.errors,
              ],
              ['GET /health, alone', idle.requestsPerSecond, idle.p50, idle.p99, idle.non2xx + idle.errors],
              ['GET /health, during the flood', busy.requestsPerSecond, busy.p50, busy.p99, busy.non2xx + busy.errors],
            ],
          },
          {
            title: 'Server event-loop delay (ms)',
            columns: ['when', 'p50', 'p99', 'max'],
            rows: [
              ['health checks only', idleLoop.p50, idleLoop.p99, idleLoop.max],
              ['during the flood', loop.p50, loop.p99, loop.max],
            ],
          },
        ],
        checks: [
          check('GET /health p99 during the login flood', busy.p99, '<', 50, 'ms'),
          check('failed logins', logins.non2xx + logins.errors, '<', 1),
        ],
        data: { logins, healthIdle: idle, healthDuringFlood: busy, eventLoopDelay: { idle: idleLoop, flood: loop } },
      };
    } finally {
      await app.stop();
    }
  } finally {
    await database.drop();
  }
}

module.exports = { id: 5, title: 'Login under load', run };
