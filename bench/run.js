#!/usr/bin/env node
'use strict';
/**
 * `npm run bench`: the performance benchmark of the issue, on one machine in one run. Every scenario sits next
 * to its reference, so the ratio is what is read. Progress goes to stderr; the report to stdout and, as JSON,
 * to bench/results/<time>-<sqlite|postgres>[-quick].json.
 *
 *   npm run bench                       every scenario, on SQLite (a fresh temporary file per scenario)
 *   npm run bench -- --only 1,4         some of them
 *   npm run bench -- --quick            smaller sizes and shorter runs: a smoke test of the benchmark itself
 *   DATABASE_URL=postgres://... npm run bench
 *                                       on PostgreSQL: a fresh database per scenario on that server, dropped after
 *
 * Scenario 3 opens about 4,000 sockets; `ulimit -n` must allow it (it checks).
 */
const { execFileSync } = require('node:child_process');
const { mkdirSync, writeFileSync, existsSync } = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');
const { parseArgs } = require('node:util');
const {
  createDatabase,
  databaseKind,
  describeDatabase,
  dropAll,
  migrate,
  removeTempDir,
  ROOT,
} = require('./support/database');
const { killAll } = require('./support/server');
const { formatScenario } = require('./support/report');
const { progress } = require('./support/util');

const SCENARIOS = [
  require('./scenarios/1-api-overhead'),
  require('./scenarios/2-streaming-relay'),
  require('./scenarios/3-concurrent-streams'),
  require('./scenarios/4-history-scale'),
  require('./scenarios/5-login-load'),
  require('./scenarios/6-start-up'),
  require('./scenarios/7-redis-relay'),
  require('./scenarios/8-v1-gateway'),
  require('./scenarios/9-files'),
  require('./scenarios/10-operations'),
];

const USAGE = `Usage: npm run bench [-- --only 1,2,...] [-- --quick]
  --only LIST   run only these scenarios (1 API overhead, 2 streaming relay, 3 concurrent streams,
                4 history scale, 5 login under load, 6 start-up, 7 deltas through Redis, 8 /v1 as a gateway,
                9 uploads and text extraction, 10 quotas and metrics)
  --quick       smaller data and shorter measurements, to check that the benchmark runs
DATABASE_URL=postgres://... runs every scenario on PostgreSQL (a new database per scenario, dropped after).`;

function options() {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const only = values.only ? values.only.split(',').map((id) => Number(id.trim())) : SCENARIOS.map((s) => s.id);
  const unknown = only.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length > 0) {
    process.stderr.write(`unknown scenario ${unknown.join(', ')}\n${USAGE}\n`);
    process.exit(2);
  }
  const quick = values.quick;
  return {
    only,
    quick,
    // Scenario 1's load: enough connections to saturate one server process, `rounds` measurements of
    // `seconds` each after a warm-up.
    connections: 16,
    rounds: quick ? 1 : 3,
    seconds: quick ? 2 : 5,
    warmupSeconds: 1,
  };
}

function git(args) {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

async function machine() {
  const probe = await createDatabase('info');
  let database;
  try {
    if (probe.kind === 'sqlite') await migrate(probe);
    database = await describeDatabase(probe);
  } finally {
    await probe.drop();
  }
  const cpus = os.cpus();
  const commit = git(['rev-parse', '--short', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--untracked-files=no', '--', 'src']);
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    database,
    databaseKind: databaseKind(),
    commit: commit ? `${commit}${dirty ? ' (src/ modified)' : ''}` : null,
    loadAverageAtStart: os.loadavg().map((value) => Number(value.toFixed(2))),
    fileDescriptorLimit: fileLimit(),
  };
}

function fileLimit() {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim()) || null;
  } catch {
    return null;
  }
}

async function main() {
  const settings = options();
  if (!existsSync(join(ROOT, 'dist', 'main.js'))) {
    process.stderr.write('dist/ is missing: run `npm run build` (npm run bench does it for you).\n');
    process.exit(1);
  }
  const started = new Date();
  const info = await machine();
  const header = [
    `Colloquy benchmark, ${started.toISOString()}${settings.quick ? ' (--quick: smaller sizes, shorter runs)' : ''}`,
    `Machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB RAM, ${info.os}`,
    `Node ${info.node}; database ${info.database}; commit ${info.commit ?? 'unknown'}; load average at start ${info.loadAverageAtStart.join(' ')}`,
  ].join('\n');
  process.stdout.write(`${header}\n\n`);

  const results = [];
  for (const scenario of SCENARIOS.filter((s) => settings.only.includes(s.id))) {
    progress(`scenario ${scenario.id}: ${scenario.title}`);
    const begin = Date.now();
    let result;
    try {
      result = { id: scenario.id, title: scenario.title, ...(await scenario.run({ ...settings, machine: info })) };
    } catch (error) {
      progress(`scenario ${scenario.id} failed: ${error.stack}`);
      result = { id: scenario.id, title: scenario.title, error: error.message };
    }
    result.seconds = Math.round((Date.now() - begin) / 1000);
    result.loadAverageAtEnd = os.loadavg().map((value) => Number(value.toFixed(2)));
    results.push(result);
    process.stdout.write(`${formatScenario(result)}\n\n`);
  }
  removeTempDir();

  const checks = results.flatMap((r) => (r.checks ?? []).map((c) => ({ scenario: r.id, ...c })));
  const summary = {
    pass: checks.filter((c) => c.pass === true).length,
    miss: checks.filter((c) => c.pass === false).length,
    failedScenarios: results.filter((r) => r.error).map((r) => r.id),
  };
  process.stdout.write(
    `Summary: ${summary.pass} PASS, ${summary.miss} MISS` +
      (summary.failedScenarios.length ? `, scenario(s) ${summary.failedScenarios.join(', ')} FAILED to run` : '') +
      `; ${Math.round((Date.now() - started.getTime()) / 1000)} s in all.\n`,
  );

  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = started
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  const file = join(dir, `${stamp}-${info.databaseKind}${settings.quick ? '-quick' : ''}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ startedAt: started.toISOString(), quick: settings.quick, machine: info, settings, summary, scenarios: results }, null, 2)}\n`,
  );
  process.stdout.write(`Results written to ${file.slice(ROOT.length + 1)}\n`);
  if (summary.failedScenarios.length > 0) process.exitCode = 1;
}

// Interrupted: stop the servers, drop the databases (PostgreSQL ones would otherwise stay), remove the files.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    progress(`${signal}: stopping servers and removing the benchmark's databases`);
    killAll();
    dropAll()
      .catch(() => undefined)
      .finally(() => {
        removeTempDir();
        process.exit(130);
      });
  });
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
