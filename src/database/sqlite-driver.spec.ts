import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './database.options';
import { sqliteDriver } from './sqlite-driver';

// A real database file, opened as TypeORM opens it: through the driver's `verbose()` module.
let dir: string;
let path: string;
const open = (file = path) =>
  new Promise<sqlite3.Database>((resolve, reject) => {
    const database: sqlite3.Database = new (sqliteDriver().verbose().Database)(file, (error) =>
      error ? reject(error) : resolve(database),
    );
  });
const all = <T>(database: sqlite3.Database, sql: string, parameters: unknown[]) =>
  new Promise<T[]>((resolve, reject) =>
    database.all<T>(sql, parameters, (error, rows) => (error ? reject(error) : resolve(rows))),
  );
const exec = (database: sqlite3.Database, sql: string) =>
  new Promise<void>((resolve, reject) => database.exec(sql, (error) => (error ? reject(error) : resolve())));
const close = (database: sqlite3.Database) =>
  new Promise<void>((resolve, reject) => database.close((error) => (error ? reject(error) : resolve())));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'colloquy-sqlite-driver-'));
  path = join(dir, 'test.sqlite');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('sqliteDriver', () => {
  it('runs the repeated reads TypeORM sends on statements prepared once, a few at most when they overlap', async () => {
    const dataSource = await new DataSource(
      buildDataSourceOptions({ type: 'sqlite', path, url: `sqlite:${path}` }),
    ).initialize();
    await dataSource.query('CREATE TABLE t (id integer)');
    await dataSource.query('INSERT INTO t VALUES (1), (2)');
    // sqlite3's own Database#all prepares a new statement for every call and finalizes it after.
    const runs = jest.spyOn(sqlite3.Statement.prototype, 'all');
    try {
      const read = (id: number) => dataSource.query<{ id: number }[]>('SELECT id FROM t WHERE id = ?', [id]);

      for (let n = 0; n < 5; n++) await expect(read((n % 2) + 1)).resolves.toEqual([{ id: (n % 2) + 1 }]);
      expect(runs).toHaveBeenCalledTimes(5);
      expect(new Set(runs.mock.contexts).size).toBe(1);

      const overlapping = await Promise.all(Array.from({ length: 20 }, (_, n) => read((n % 2) + 1)));
      expect(overlapping).toEqual(Array.from({ length: 20 }, (_, n) => [{ id: (n % 2) + 1 }]));
      expect(runs).toHaveBeenCalledTimes(25);
      expect(new Set(runs.mock.contexts).size).toBeLessThanOrEqual(4);
    } finally {
      runs.mockRestore();
      await dataSource.destroy();
    }
  });

  it('runs repeated writes on one prepared statement, with their own changes and ids, holding no lock after', async () => {
    const dataSource = await new DataSource(
      buildDataSourceOptions({ type: 'sqlite', path, url: `sqlite:${path}` }),
    ).initialize();
    const other = await open();
    await dataSource.query('CREATE TABLE t (id integer primary key, n integer)');
    const runs = jest.spyOn(sqlite3.Statement.prototype, 'run');
    const runner = dataSource.createQueryRunner();
    try {
      const write = async (sql: string, parameters: unknown[]) =>
        (await runner.query(sql, parameters, true)) as { raw: unknown; affected?: number };
      expect((await write('INSERT INTO t (n) VALUES (?)', [1])).raw).toBe(1);
      expect((await write('INSERT INTO t (n) VALUES (?)', [1])).raw).toBe(2);
      expect((await write('UPDATE t SET n = n + ? WHERE n = ?', [1, 1])).affected).toBe(2);
      expect((await write('UPDATE t SET n = n + ? WHERE n = ?', [1, 9])).affected).toBe(0);
      expect((await write('DELETE FROM t WHERE id = ?', [2])).affected).toBe(1);
      expect(runs).toHaveBeenCalledTimes(5);
      expect(new Set(runs.mock.contexts).size).toBe(3);

      // Another connection can take the write lock at once: no statement kept it.
      await exec(other, 'PRAGMA busy_timeout = 0; BEGIN IMMEDIATE; UPDATE t SET n = 5; COMMIT');
      expect(await dataSource.query('SELECT id, n FROM t WHERE id > ?', [0])).toEqual([{ id: 1, n: 5 }]);
    } finally {
      runs.mockRestore();
      await runner.release();
      await close(other);
      await dataSource.destroy();
    }
  });

  it('resets a write that failed as busy, so the connection commits again afterwards', async () => {
    const database = await open();
    const other = await open();
    try {
      database.configure('busyTimeout', 50);
      await exec(database, 'CREATE TABLE t (id integer primary key, n integer); INSERT INTO t VALUES (1, 0)');
      const run = (sql: string, parameters: unknown[]) =>
        new Promise<void>((resolve, reject) =>
          database.run(sql, parameters, (error: Error | null) => (error ? reject(error) : resolve())),
        );

      await exec(other, 'BEGIN IMMEDIATE');
      await expect(run('INSERT INTO t VALUES (?, ?)', [2, 0])).rejects.toThrow(/SQLITE_BUSY/);
      await exec(other, 'COMMIT');

      // Committed at once, as a write outside a transaction is: the other connection sees it and can write.
      await run('UPDATE t SET n = ? WHERE id = ?', [7, 1]);
      expect(await all(other, 'SELECT n FROM t WHERE id = ?', [1])).toEqual([{ n: 7 }]);
      await exec(other, 'PRAGMA busy_timeout = 0; BEGIN IMMEDIATE; UPDATE t SET n = 8; COMMIT');
      await run('INSERT INTO t VALUES (?, ?)', [2, 0]);
      expect(await all(other, 'SELECT id, n FROM t WHERE id > ? ORDER BY id', [0])).toEqual([
        { id: 1, n: 8 },
        { id: 2, n: 0 },
      ]);
    } finally {
      await close(other);
      await close(database);
    }
  });

  it('answers every call of one statement with its own parameters, also when they overlap', async () => {
    const database = await open();
    await exec(
      database,
      'CREATE TABLE t (id integer, name text); INSERT INTO t VALUES (1, "one"), (2, "two"), (3, "three")',
    );
    const sql = 'SELECT name FROM t WHERE id = ? OR id = ? ORDER BY id';

    const answers = await Promise.all(
      [
        [1, 2],
        [3, 3],
        [2, 9],
        [1, 2],
      ].map((parameters) => all<{ name: string }>(database, sql, parameters)),
    );

    expect(answers.map((rows) => rows.map((row) => row.name))).toEqual([
      ['one', 'two'],
      ['three'],
      ['two'],
      ['one', 'two'],
    ]);
    await close(database);
  });

  it('reports a statement that cannot be prepared to every waiting call, and prepares it again next time', async () => {
    const database = await open();
    const sql = 'SELECT id FROM later WHERE id = ?';

    const failures = await Promise.allSettled([all(database, sql, [1]), all(database, sql, [2])]);
    expect(failures.map((failure) => failure.status === 'rejected' && String(failure.reason))).toEqual([
      'Error: SQLITE_ERROR: no such table: later',
      'Error: SQLITE_ERROR: no such table: later',
    ]);

    await exec(database, 'CREATE TABLE later (id integer); INSERT INTO later VALUES (2)');
    await expect(all(database, sql, [2])).resolves.toEqual([{ id: 2 }]);
    await close(database);
  });

  it('follows schema changes made after a statement was prepared', async () => {
    const database = await open();
    await exec(database, 'CREATE TABLE t (id integer); INSERT INTO t VALUES (1)');
    await expect(all(database, 'SELECT * FROM t WHERE id = ?', [1])).resolves.toEqual([{ id: 1 }]);

    await exec(database, "ALTER TABLE t ADD COLUMN note text DEFAULT 'added'");

    await expect(all(database, 'SELECT * FROM t WHERE id = ?', [1])).resolves.toEqual([{ id: 1, note: 'added' }]);
    await close(database);
  });

  it('holds no lock or snapshot between calls: another connection writes, checkpoints, and is seen', async () => {
    const reader = await open();
    await exec(reader, 'PRAGMA journal_mode = WAL; CREATE TABLE t (id integer); INSERT INTO t VALUES (1)');
    const count = 'SELECT count(*) AS n FROM t WHERE id > ?';
    await expect(all(reader, count, [0])).resolves.toEqual([{ n: 1 }]);

    const writer = await open();
    await exec(writer, 'INSERT INTO t VALUES (2)');
    // busy = 0: no reader kept a snapshot that would stop the WAL from being copied back and truncated.
    await expect(all(writer, 'PRAGMA wal_checkpoint(TRUNCATE)', [])).resolves.toEqual([
      { busy: 0, log: 0, checkpointed: 0 },
    ]);

    await expect(all(reader, count, [0])).resolves.toEqual([{ n: 2 }]);
    await close(writer);
    await close(reader);
  });

  it('finalizes every statement it prepared, also those it dropped for newer ones, so the file closes', async () => {
    const database = await open();
    await exec(database, 'CREATE TABLE t (id integer); INSERT INTO t VALUES (1)');

    // Overlapping calls of one text are spread over several prepared copies of it.
    const overlapping = await Promise.all(
      Array.from({ length: 10 }, () => all(database, 'SELECT id FROM t WHERE id = ?', [1])),
    );
    expect(overlapping).toEqual(Array(10).fill([{ id: 1 }]));
    for (let n = 0; n < 300; n++) {
      await expect(all(database, `SELECT ${n} AS n FROM t WHERE id = ?`, [1])).resolves.toEqual([{ n }]);
    }

    // SQLite refuses to close a connection that still has a statement open.
    await expect(close(database)).resolves.toBeUndefined();
  });

  it('keeps transactions apart: a rolled-back write is not read back, a committed one is', async () => {
    const dataSource = await new DataSource(
      buildDataSourceOptions({ type: 'sqlite', path, url: `sqlite:${path}` }),
    ).initialize();
    await dataSource.query('CREATE TABLE t (id integer, name text)');
    const names = async () =>
      (await dataSource.query<{ name: string }[]>('SELECT name FROM t WHERE id > ? ORDER BY id', [0])).map(
        (r) => r.name,
      );

    await expect(
      dataSource.transaction(async (manager) => {
        await manager.query('INSERT INTO t VALUES (?, ?)', [1, 'rolled back']);
        expect(await manager.query('SELECT name FROM t WHERE id > ? ORDER BY id', [0])).toEqual([
          { name: 'rolled back' },
        ]);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await names()).toEqual([]);

    await dataSource.transaction((manager) => manager.query('INSERT INTO t VALUES (?, ?)', [2, 'committed']));
    expect(await names()).toEqual(['committed']);
    await dataSource.destroy();
  });

  it('lets a transaction that read first write after another connection has committed: it waits, not fails', async () => {
    const options = buildDataSourceOptions({ type: 'sqlite', path, url: `sqlite:${path}` });
    // Two connections to one file, as two processes of the server have.
    const first = await new DataSource(options).initialize();
    const second = await new DataSource(options).initialize();
    try {
      await first.query('CREATE TABLE t (id integer, name text)');
      let secondWrote!: Promise<unknown>;
      await first.transaction(async (manager) => {
        expect(await manager.query('SELECT count(*) AS n FROM t WHERE id > ?', [0])).toEqual([{ n: 0 }]);
        // A deferred transaction would let this commit, then fail its own write with SQLITE_BUSY.
        secondWrote = second.transaction((other) => other.query('INSERT INTO t VALUES (?, ?)', [1, 'second']));
        await new Promise((resolve) => setTimeout(resolve, 50));
        await manager.query('INSERT INTO t VALUES (?, ?)', [2, 'first']);
      });
      await secondWrote;
      // The second waited for the first's commit: both writes are there.
      expect(await first.query('SELECT name FROM t WHERE id > ? ORDER BY name', [0])).toEqual([
        { name: 'first' },
        { name: 'second' },
      ]);
    } finally {
      await second.destroy();
      await first.destroy();
    }
  });
});
