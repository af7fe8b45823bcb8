'use strict';
// Starting and stopping the processes under test, and a small HTTP client for the calls that are not load.
const { Buffer } = require('node:buffer');
const { spawn } = require('node:child_process');
const { readFileSync } = require('node:fs');
const http = require('node:http');
const { join } = require('node:path');
const { clearTimeout, setTimeout } = require('node:timers');
const { ROOT } = require('./database');
const { freePort, nowMs, progress, sleep } = require('./util');

const PROBE = join(__dirname, 'probe.js');
/** Processes started and not yet exited, so that an interrupted run can stop them. */
const running = new Set();
const JWT_SECRET = 'bench-secret-0123456789abcdefghijklmnopqrstuvwx'; // 48 characters

/**
 * The environment of the server under test: production mode, loopback, limits raised so that the benchmark
 * measures work and not refusals, request logging on (LOG_LEVEL=info, to /dev/null: writing the log line is a
 * real cost of every request), and no model provider unless the scenario names one. Variables a developer's
 * .env might set are given empty values, which the app treats as unset and which win over .env.
 */
function serverEnv(databaseUrl, port, extra = {}) {
  return {
    ...process.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    JWT_SECRET,
    JWT_ACCESS_TTL: '1h',
    RATE_LIMIT_PER_MINUTE: '1000000',
    LOGIN_MAX_FAILURES: '1000',
    LOGIN_MAX_FAILURES_PER_IP: '100000',
    AUTH_FAILURES_PER_MINUTE: '100000',
    REGISTRATIONS_PER_HOUR: '1000000',
    LOG_LEVEL: 'info',
    TRUST_PROXY: '',
    CORS_ORIGINS: '',
    DEFAULT_MODEL: '',
    OPENAI_BASE_URL: '',
    OPENAI_API_KEY: '',
    ANTHROPIC_BASE_URL: '',
    ANTHROPIC_API_KEY: '',
    OLLAMA_BASE_URL: '',
    AI_TIMEOUT_MS: '',
    BODY_LIMIT_BYTES: '',
    REDIS_URL: '',
    ...extra,
  };
}

/**
 * Spawns a Node script as the server under test and waits until `healthPath` answers 200.
 * `probe` preloads bench/support/probe.js and opens an IPC channel to ask it for event-loop delay and memory.
 */
async function startProcess({ script, args = [], env, port, probe = false, healthPath = '/health', nodeArgs = [] }) {
  const started = nowMs();
  const child = spawn(process.execPath, [...(probe ? ['--require', PROBE] : []), ...nodeArgs, script, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe', ...(probe ? ['ipc'] : [])],
  });
  running.add(child);
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-8000);
  });
  let exited = null;
  let stopping = false;
  const exit = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(child);
      exited = { code, signal };
      if (!stopping && server.readyMs >= 0) {
        progress(`${script} (pid ${child.pid}) exited on its own: ${JSON.stringify(exited)}\n${stderr.slice(-3000)}`);
      }
      resolve(exited);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const server = {
    url,
    port,
    pid: child.pid,
    child,
    stderr: () => stderr,
    /** `{ code, signal }` once the process has exited, else null. */
    exited: () => exited,
    /** Milliseconds from spawn to the first 200 on the health path. */
    readyMs: NaN,
    probe: probe ? (options = {}) => askProbe(child, options) : undefined,
    /** Resident memory read from /proc (Linux), in bytes; null elsewhere. */
    rss: () => rssOf(child.pid),
    async stop() {
      if (exited) return exited;
      stopping = true;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const result = await exit;
      clearTimeout(timer);
      return result;
    },
  };
  for (;;) {
    if (exited) throw new Error(`${script} exited (${JSON.stringify(exited)}) before it was ready:\n${stderr}`);
    if (nowMs() - started > 120_000) {
      await server.stop();
      throw new Error(`${script} was not ready within 120 s:\n${stderr}`);
    }
    const status = await request({ url: url + healthPath, timeoutMs: 1000 })
      .then((response) => response.status)
      .catch(() => 0);
    if (status === 200) break;
    await sleep(10);
  }
  server.readyMs = nowMs() - started;
  return server;
}

/**
 * The real app, `node dist/main.js`, with the probe preloaded. BENCH_PROFILE=<dir> writes a CPU profile of
 * every app process to that directory (open it in Chrome DevTools or speedscope).
 */
async function startApp(database, { env = {}, probe = true, nodeArgs = [] } = {}) {
  const port = await freePort();
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  return startProcess({
    script: join(ROOT, 'dist', 'main.js'),
    env: serverEnv(database.url, port, env),
    port,
    probe,
    nodeArgs: [...profile, ...nodeArgs],
  });
}

let probeCalls = 0;
function askProbe(child, options) {
  const id = ++probeCalls;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error('the probe did not answer within 10 s'));
    }, 10_000);
    const onMessage = (message) => {
      if (!message || message.probe !== true || message.id !== id) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    child.send({ probe: true, id, ...options });
  });
}

function rssOf(pid) {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One HTTP request; answers { status, headers, text, json }. */
function request({ method = 'GET', url, headers = {}, body, timeoutMs = 30_000 }) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: {
          ...(payload !== undefined && {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
          }),
          ...headers,
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Signs in over HTTP, as a client would; answers the access token. */
async function login(baseUrl, email, password) {
  const response = await request({ method: 'POST', url: `${baseUrl}/auth/login`, body: { email, password } });
  if (response.status !== 200) throw new Error(`login of ${email} answered ${response.status}: ${response.text}`);
  return response.json.accessToken;
}

/** Kills every process started here that is still running. */
function killAll() {
  for (const child of running) child.kill('SIGKILL');
}

module.exports = { killAll, startApp, startProcess, serverEnv, request, login, JWT_SECRET, rssOf };
