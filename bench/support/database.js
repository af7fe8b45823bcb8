'use strict';
// A fresh database for each scenario (a temporary SQLite file, or a new PostgreSQL database next to the one
// DATABASE_URL names), its schema from the app's own migrations, and a raw connection for seeding and the floor.
const { execFile } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { URL } = require('node:url');
const { promisify } = require('node:util');

const ROOT = join(__dirname, '..', '..');
let tempDir;
/** Databases made and not yet dropped, so that an interrupted run can still clean up. */
const live = new Set();

function databaseKind() {
  const url = process.env.DATABASE_URL;
  return url && /^postgres(ql)?:\/\//.test(url) ? 'postgres' : 'sqlite';
}

/** Creates an empty database named after `label`; `drop()` removes it and everything in it. */
async function createDatabase(label) {
  const database = await makeDatabase(label);
  const drop = database.drop;
  database.drop = async () => {
    live.delete(database);
    await drop();
  };
  live.add(database);
  return database;
}

/** Drops every database this process made and has not dropped yet. */
async function dropAll() {
  for (const database of [...live]) await database.drop().catch(() => undefined);
}

async function makeDatabase(label) {
  if (databaseKind() === 'sqlite') {
    tempDir ??= mkdtempSync(join(tmpdir(), 'colloquy-bench-'));
    const path = join(tempDir, `${label}-${randomBytes(3).toString('hex')}.sqlite`);
    return {
      kind: 'sqlite',
      url: `sqlite:${path}`,
      path,
      drop: async () => {
        for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(path + suffix, { force: true });
      },
    };
  }
  const { Client } = require('pg');
  const admin = process.env.DATABASE_URL;
  const name = `colloquy_bench_${label.replace(/[^a-z0-9]/gi, '_')}_${randomBytes(3).toString('hex')}`.toLowerCase();
  await withClient(admin, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    kind: 'postgres',
    url: url.toString(),
    name,
    drop: () => withClient(admin, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  };

  async function withClient(connectionString, work) {
    const client = new Client({ connectionString });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }
}

/** Removes the temporary directory of the SQLite files, if one was made. */
function removeTempDir() {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  tempDir = undefined;
}

/** Applies the app's migrations with its own command line, so the schema is exactly what a deployment gets. */
async function migrate(database) {
  const started = Date.now();
  await promisify(execFile)(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'db:migrate'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: database.url, NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(48) },
  });
  return Date.now() - started;
}

/**
 * A raw connection: `query(sql, params)` with `?` placeholders (rewritten to $n on PostgreSQL) answering rows,
 * `exec(sql)` for statements without results, and `close()`.
 */
async function openRaw(database) {
  if (database.kind === 'sqlite') {
    const sqlite3 = require('sqlite3');
    const db = await new Promise((resolve, reject) => {
      const opened = new sqlite3.Database(database.path, (error) => (error ? reject(error) : resolve(opened)));
    });
    const call = (method, sql, params = []) =>
      new Promise((resolve, reject) =>
        db[method](sql, params, function (error, rows) {
          if (error) reject(error);
          else resolve(method === 'all' ? rows : this);
        }),
      );
    return {
      kind: 'sqlite',
      db,
      query: (sql, params) => call('all', sql, params),
      run: (sql, params) => call('run', sql, params),
      exec: (sql) => new Promise((resolve, reject) => db.exec(sql, (error) => (error ? reject(error) : resolve()))),
      close: () => new Promise((resolve, reject) => db.close((error) => (error ? reject(error) : resolve()))),
    };
  }
  const { Client } = require('pg');
  const client = new Client({ connectionString: database.url });
  await client.connect();
  const toDollar = (sql) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return {
    kind: 'postgres',
    client,
    query: async (sql, params) => (await client.query(toDollar(sql), params)).rows,
    run: (sql, params) => client.query(toDollar(sql), params),
    exec: (sql) => client.query(sql),
    close: () => client.end(),
  };
}

/** The database server's name and version, for the report. */
async function describeDatabase(database) {
  const raw = await openRaw(database);
  try {
    if (raw.kind === 'sqlite') return `SQLite ${(await raw.query('SELECT sqlite_version() AS v'))[0].v}`;
    return (await raw.query('SELECT version() AS v'))[0].v.split(' on ')[0];
  } finally {
    await raw.close();
  }
}

module.exports = { databaseKind, createDatabase, dropAll, removeTempDir, migrate, openRaw, describeDatabase, ROOT };
