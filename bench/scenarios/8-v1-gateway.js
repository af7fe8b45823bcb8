'use strict';
// Scenario 8: /v1 as a gateway: what the app adds to a completion, next to the upstream read directly and the same
// request through a gateway that does nothing but pass it on.
const { Buffer } = require('node:buffer');
const http = require('node:http');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { createDatabase, migrate } = require('../support/database');
const { measure } = require('../support/load');
const { check } = require('../support/report');
const { seed } = require('../support/seed');
const { startApp, startProcess, login, request } = require('../support/server');
const { timeStream } = require('../support/sse-client');
const { freePort, nowMs, percentile, progress } = require('../support/util');
const { startUpstream, upstreamEnv } = require('./2-streaming-relay');

/** A short answer: 20 chunks, sent as fast as the fake can. */
const MODEL = 'fast-20';
const MESSAGES = [{ role: 'user', content: 'How fast can you answer?' }];
const CONNECTIONS = 16;
/** Clock ticks a second of /proc's CPU times (USER_HZ: 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used, in ms, from /proc (Linux). */
function cpuMsOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // Fields 14 and 15 of the file (utime, stime); the split above starts at field 3.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** One non-streaming completion, timed to the end of the answer. */
function timeCompletion(url, headers, agent, model) {
  return new Promise((resolve) => {
    const payload = JSON.stringify({ model, messages: MESSAGES });
    const started = nowMs();
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (text) => (body += text));
        res.on('end', () => {
          const ms = nowMs() - started;
          let ok = res.statusCode === 200;
          try {
            ok = ok && typeof JSON.parse(body).choices[0].message.content === 'string';
          } catch {
            ok = false;
          }
          resolve({ ms, error: ok ? null : `status ${res.statusCode}: ${body.slice(0, 200)}` });
        });
      },
    );
    req.on('error', (error) => resolve({ ms: NaN, error: error.message }));
    req.end(payload);
  });
}

async function run(ctx) {
  const rounds = 10;
  const perRound = ctx.quick ? 20 : 100;
  const seconds = ctx.quick ? 2 : 5;
  const database = await createDatabase('s8');
  const servers = [];
  try {
    await migrate(database);
    const seeded = await seed(database, {
      messages: 1_000,
      users: 10,
      heavyConversations: 10,
      longConversation: false,
      model: `openai/${MODEL}`,
    });
    const upstream = await startUpstream([MODEL]);
    servers.push(upstream);
    const proxyPort = await freePort();
    const proxy = await startProcess({
      script: join(__dirname, '..', 'support', 'trivial-proxy.js'),
      env: { ...process.env, BENCH_PORT: String(proxyPort), BENCH_UPSTREAM: upstream.url },
      port: proxyPort,
    });
    servers.push(proxy);
    const app = await startApp(database, { probe: false, env: upstreamEnv(upstream) });
    servers.push(app);
    const token = await login(app.url, seeded.heavy.email, seeded.password);
    const created = await request({
      method: 'POST',
      url: `${app.url}/users/me/api-keys`,
      headers: { authorization: `Bearer ${token}` },
      body: { name: 'bench' },
    });
    if (created.status !== 201) throw new Error(`creating an API key answered ${created.status}: ${created.text}`);
    const key = { authorization: `Bearer ${created.json.key}` };

    const targets = {
      direct: { url: `${upstream.url}/v1/chat/completions`, headers: {}, model: MODEL },
      proxy: { url: `http://127.0.0.1:${proxyPort}/v1/chat/completions`, headers: {}, model: MODEL },
      v1: { url: `${app.url}/v1/chat/completions`, headers: key, model: `openai/${MODEL}` },
    };
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const plain = (target) => timeCompletion(target.url, target.headers, agent, target.model);
    const streamed = async (target) => {
      const result = await timeStream({
        url: target.url,
        headers: target.headers,
        body: { model: target.model, messages: MESSAGES, stream: true },
        wire: 'openai',
        agent,
      });
      const error = result.error ?? (result.complete ? null : 'the stream did not complete');
      return { ms: result.firstDeltaMs, error };
    };

    const sequential = { plain: {}, streamed: {} };
    const errors = [];
    for (const name of Object.keys(targets)) {
      sequential.plain[name] = [];
      sequential.streamed[name] = [];
    }
    progress(`scenario 8: ${rounds} interleaved rounds of ${perRound} sequential calls to each target`);
    for (let round = -1; round < rounds; round++) {
      for (const [name, target] of Object.entries(targets)) {
        for (const [kind, call] of [
          ['plain', plain],
          ['streamed', streamed],
        ]) {
          for (let i = 0; i < perRound; i++) {
            const sample = await call(target);
            if (sample.error) errors.push(`${name} ${kind}: ${sample.error}`);
            // Round -1 warms every path up and is thrown away.
            else if (round >= 0) sequential[kind][name].push(sample.ms);
          }
        }
      }
    }

    progress(`scenario 8: ${CONNECTIONS} connections, ${seconds} s per target and kind`);
    const loaded = {};
    for (const [name, target] of Object.entries(targets)) {
      for (const stream of [false, true]) {
        const options = {
          url: target.url,
          method: 'POST',
          headers: target.headers,
          body: { model: target.model, messages: MESSAGES, ...(stream && { stream: true }) },
          connections: CONNECTIONS,
        };
        await measure({ ...options, seconds: 1, warmupSeconds: 0 });
        const pid = name === 'v1' ? app.pid : name === 'proxy' ? proxy.pid : upstream.pid;
        const before = cpuMsOf(pid);
        const result = await measure({ ...options, seconds, warmupSeconds: 0 });
        const cpuMs = cpuMsOf(pid) - before;
        loaded[`${name} ${stream ? 'streamed' : 'plain'}`] = { ...result, cpuMsPerCall: cpuMs / result.requests };
      }
    }
    return report(sequential, loaded, errors, { rounds, perRound, seconds });
  } finally {
    for (const server of servers.reverse()) await server.stop();
    await database.drop();
  }
}

function report(sequential, loaded, errors, settings) {
  const p50 = (values) => percentile(values, 50);
  const added = (kind, name) => p50(sequential[kind][name]) - p50(sequential[kind].direct);
  const sequentialRows = [];
  for (const kind of ['plain', 'streamed']) {
    for (const name of ['direct', 'proxy', 'v1']) {
      const values = sequential[kind][name];
      sequentialRows.push([
        `${name} ${kind}`,
        p50(values),
        percentile(values, 99),
        name === 'direct' ? null : added(kind, name),
      ]);
    }
  }
  const loadedRows = Object.entries(loaded).map(([label, result]) => [
    label,
    result.requestsPerSecond,
    result.p50,
    result.p99,
    label.startsWith('direct') ? null : result.cpuMsPerCall,
    result.errors + result.non2xx,
  ]);
  return {
    notes: [
      `A completion of ${MODEL.split('-')[1]} chunks from the fake OpenAI-format upstream (no delay), asked for directly, ` +
        'through a node:http proxy that only passes it on, and through the app`s /v1 with an API key (checked, ' +
        'usage recorded, a log line). Sequential: one connection, calls in turn, ' +
        `${settings.rounds} interleaved rounds of ${settings.perRound} calls per target and kind (after a round ` +
        'thrown away); plain calls timed to the end of the answer, streamed ones to the first chunk with text. ' +
        `Loaded: ${CONNECTIONS} connections for ${settings.seconds} s each; CPU per call is the serving ` +
        "process's CPU time (from /proc) over the calls it answered.",
      ...(errors.length ? [`errors: ${errors.length}, first: ${errors[0]}`] : []),
    ],
    tables: [
      {
        title: 'Sequential calls (ms)',
        columns: ['target', 'p50', 'p99', 'added to direct, p50'],
        rows: sequentialRows,
      },
      {
        title: `${CONNECTIONS} connections`,
        columns: ['target', 'calls/s', 'p50 (ms)', 'p99 (ms)', 'CPU per call (ms)', 'errors'],
        rows: loadedRows,
      },
    ],
    checks: [
      check('/v1 plain: added at p50', added('plain', 'v1'), '<', 1, 'ms'),
      check('/v1 streamed: added to the first chunk at p50', added('streamed', 'v1'), '<', 1, 'ms'),
      check('/v1 plain: CPU per call', loaded['v1 plain'].cpuMsPerCall, '<', 1, 'ms'),
      check('/v1 streamed: CPU per call', loaded['v1 streamed'].cpuMsPerCall, '<', 1, 'ms'),
      check('errors', errors.length, '<', 1),
    ],
    data: { sequential, loaded, settings },
  };
}

module.exports = { id: 8, title: '/v1 as a gateway', run };
