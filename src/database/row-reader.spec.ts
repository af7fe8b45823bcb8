import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { buildDataSourceOptions } from './database.options';
import { RowReader } from './row-reader';

// Every kind of column the application's entities use; the features' own reads are compared on both databases
// by the conversations e2e spec.
@Entity('samples')
class Sample {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 36 })
  ownerId: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  title: string | null;

  @Column({ type: 'text', nullable: true })
  note: string | null;

  @Column({ type: 'boolean', default: false })
  flag: boolean;

  @Column({ type: 'integer', nullable: true })
  count: number | null;

  @Column({ type: 'simple-json' })
  settings: Record<string, unknown>;

  @Column({ name: 'created_at' })
  createdAt: Date;
}

// A real SQLite file: what RowReader answers must be what TypeORM itself loads.
let dir: string;
let dataSource: DataSource;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'colloquy-row-reader-'));
  const path = join(dir, 'test.sqlite');
  dataSource = await new DataSource({
    ...buildDataSourceOptions({ type: 'sqlite', path, url: `sqlite:${path}` }),
    entities: [Sample],
  }).initialize();
  // The table as TypeORM maps Sample on SQLite, written out: schemas come from SQL, never from synchronize.
  await dataSource.query(
    `CREATE TABLE samples (
       id varchar PRIMARY KEY NOT NULL,
       ownerId varchar(36) NOT NULL,
       title varchar(200),
       note text,
       flag boolean NOT NULL DEFAULT (0),
       count integer,
       settings text NOT NULL,
       created_at datetime NOT NULL
     )`,
  );
  const samples = dataSource.getRepository(Sample);
  await samples.save([
    samples.create({
      ownerId: 'a',
      title: null,
      note: null,
      flag: true,
      count: null,
      settings: { theme: 'dark' },
      createdAt: new Date('2026-01-02T03:04:05.006Z'),
    }),
    samples.create({
      ownerId: 'a',
      title: 'T',
      note: 'N',
      flag: false,
      count: 0,
      settings: {},
      createdAt: new Date('2026-01-02T03:04:05.007Z'),
    }),
    samples.create({
      ownerId: 'b',
      title: 'other',
      note: '',
      flag: false,
      count: 12,
      settings: { n: [1] },
      createdAt: new Date('2026-01-02T03:04:05.008Z'),
    }),
  ]);
});
afterAll(async () => {
  await dataSource.destroy();
  rmSync(dir, { recursive: true, force: true });
});

// TypeORM answers class instances, RowReader plain objects: both compared as plain copies.
const plain = <T extends object>(rows: T[]) => rows.map((row) => ({ ...row }));

/** Stores samples of `ownerId` with these texts as their time, and reads them back through RowReader and TypeORM. */
async function readTimes(ownerId: string, forms: string[]) {
  for (const [i, form] of forms.entries()) {
    await dataSource.query(`INSERT INTO samples (id, ownerId, flag, settings, created_at) VALUES (?, ?, 0, '{}', ?)`, [
      `${ownerId}-${i}`,
      ownerId,
      form,
    ]);
  }
  const reader = new RowReader(dataSource, Sample);
  const read = await reader.query(`SELECT ${reader.columns('s')} FROM samples s WHERE s.ownerId = ? ORDER BY s.id`, [
    ownerId,
  ]);
  const loaded = await dataSource.getRepository(Sample).find({ where: { ownerId }, order: { id: 'ASC' } });
  return { read, loaded };
}

describe('RowReader', () => {
  it('reads rows as TypeORM loads the entity: dates, booleans, nulls, numbers, JSON', async () => {
    const reader = new RowReader(dataSource, Sample);
    const read = await reader.query(
      `SELECT ${reader.columns('s')} FROM samples s WHERE s.ownerId = ? ORDER BY s.created_at`,
      ['a'],
    );

    expect(plain(read)).toEqual(
      plain(await dataSource.getRepository(Sample).find({ where: { ownerId: 'a' }, order: { createdAt: 'ASC' } })),
    );
    expect(read[0].createdAt).toEqual(new Date('2026-01-02T03:04:05.006Z'));
  });

  it('reads every form of SQLite time text as TypeORM does, not only the one it writes', async () => {
    const forms = ['2026-03-04 05:06:07.089', '2026-03-04 05:06:07', '2026-03-04T05:06:07.089Z', '2026-03-04 05:06'];
    const { read, loaded } = await readTimes('times', forms);
    expect(read.map((row) => row.createdAt.toISOString())).toEqual([
      '2026-03-04T05:06:07.089Z',
      '2026-03-04T05:06:07.000Z',
      '2026-03-04T05:06:07.089Z',
      '2026-03-04T05:06:00.000Z',
    ]);
    expect(plain(read)).toEqual(plain(loaded));
  });

  it("reads times written like TypeORM's but out of range, or with other characters, as TypeORM does", async () => {
    const forms = [
      '2026-02-30 00:00:00.000',
      '2026-13-01 00:00:00.000',
      '2026-00-10 00:00:00.000',
      '2026-01-01 24:00:00.000',
      '2026-01-01 23:60:00.000',
      '2026-01-01 23:59:60.000',
      '2o26-01-01 00:00:00.000',
      '2026-01-01 00:00:00.0x0',
      '1999-12-31 23:59:59.999',
    ];
    const { read, loaded } = await readTimes('odd', forms);
    // Invalid Dates included, which toEqual cannot tell apart from each other.
    expect(read.map((row) => String(row.createdAt.getTime()))).toEqual(
      loaded.map((row) => String(row.createdAt.getTime())),
    );
    expect(read[read.length - 1].createdAt.toISOString()).toBe('1999-12-31T23:59:59.999Z');
  });

  it('reads only the properties it was given', async () => {
    const reader = new RowReader(dataSource, Sample, ['id', 'flag']);
    const [{ id }] = await dataSource.getRepository(Sample).find({ where: { ownerId: 'b' } });

    await expect(reader.query(`SELECT ${reader.columns('s')} FROM samples s WHERE s.id = ?`, [id])).resolves.toEqual([
      { id, flag: false },
    ]);
  });

  it('reads inside a transaction what that transaction wrote', async () => {
    const reader = new RowReader(dataSource, Sample, ['title']);
    const titles = (manager?: Parameters<typeof reader.query>[2]) =>
      reader.query(`SELECT ${reader.columns('s')} FROM samples s WHERE s.ownerId = ? ORDER BY s.title`, ['c'], manager);

    await dataSource
      .transaction(async (manager) => {
        await manager
          .getRepository(Sample)
          .save({ ownerId: 'c', title: 'pending', settings: {}, createdAt: new Date() });
        await expect(titles(manager)).resolves.toEqual([{ title: 'pending' }]);
        throw new Error('roll back');
      })
      .catch(() => undefined);

    await expect(titles()).resolves.toEqual([]);
  });

  it('reports a failed query as TypeORM does, with its SQL', async () => {
    const reader = new RowReader(dataSource, Sample);
    await expect(reader.query('SELECT nothing FROM samples WHERE id = ?', ['x'])).rejects.toMatchObject({
      name: 'QueryFailedError',
      query: 'SELECT nothing FROM samples WHERE id = ?',
      parameters: ['x'],
    });
  });
});
