import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, type EntityManager } from 'typeorm';
import { AppError } from '../common/errors/app.error';
import { buildDataSourceOptions } from './database.options';
import { TransactionRunner } from './transaction-runner';

class Refused extends AppError {
  readonly code = 'GENERATION_IN_PROGRESS';
  constructor() {
    super('refused');
  }
}

// A real SQLite file, where transactions run one at a time on the one connection.
let dir: string;
let dataSource: DataSource;
let runner: TransactionRunner;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'colloquy-transactions-'));
  const path = join(dir, 'test.sqlite');
  dataSource = await new DataSource(
    buildDataSourceOptions({ type: 'sqlite', path, url: `sqlite:${path}` }),
  ).initialize();
  await dataSource.query('CREATE TABLE notes (name varchar(20) PRIMARY KEY)');
});
afterAll(async () => {
  await dataSource.destroy();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await dataSource.query('DELETE FROM notes');
  runner = new TransactionRunner(dataSource);
});

const names = async () =>
  ((await dataSource.query('SELECT name FROM notes ORDER BY name')) as { name: string }[]).map((row) => row.name);
const insert = (manager: EntityManager, name: string) => manager.query('INSERT INTO notes (name) VALUES (?)', [name]);

describe('TransactionRunner.runGrouped on SQLite', () => {
  it('runs works that arrive together in one transaction, each answered with its own value', async () => {
    const managers = new Set<EntityManager>();
    const results = await Promise.all(
      ['a', 'b', 'c'].map((name) =>
        runner.runGrouped(name, async (manager) => {
          managers.add(manager);
          await insert(manager, name);
          return name.toUpperCase();
        }),
      ),
    );

    expect(results).toEqual(['A', 'B', 'C']);
    expect(managers.size).toBe(1);
    expect(await names()).toEqual(['a', 'b', 'c']);
  });

  it('keeps a refusal its own: the works beside it are stored', async () => {
    const outcomes = await Promise.allSettled([
      runner.runGrouped('a', (manager) => insert(manager, 'a')),
      runner.runGrouped('b', async () => {
        throw new Refused();
      }),
      runner.runGrouped('c', (manager) => insert(manager, 'c')),
    ]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(Refused);
    expect(await names()).toEqual(['a', 'c']);
  });

  it('runs the others again on their own when one fails after writing: only that one fails, and none of it is kept', async () => {
    const runs: string[] = [];
    const outcomes = await Promise.allSettled(
      ['a', 'broken', 'c'].map((name) =>
        runner.runGrouped(name, async (manager) => {
          runs.push(name);
          await insert(manager, name);
          if (name === 'broken') throw new Error('the database failed');
        }),
      ),
    );

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'the database failed' });
    expect(await names()).toEqual(['a', 'c']);
    // Once together (undone by the failure), then each alone.
    expect(runs.sort()).toEqual(['a', 'a', 'broken', 'broken', 'c', 'c']);
  });

  it('runs the works of one key one after another, in the order they came: the second sees what the first wrote', async () => {
    const claim = (name: string) =>
      runner.runGrouped('same', async (manager) => {
        const taken = (await manager.query('SELECT 1 FROM notes WHERE name = ?', ['claimed'])) as unknown[];
        if (taken.length > 0) throw new Refused();
        await insert(manager, 'claimed');
        return name;
      });

    const outcomes = await Promise.allSettled([claim('first'), claim('second'), claim('third')]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect((outcomes[0] as PromiseFulfilledResult<string>).value).toBe('first');
    expect(await names()).toEqual(['claimed']);
  });
});
