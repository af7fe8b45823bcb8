import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { createTestApp } from '../support/create-test-app';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');

/** Runs the built command line as a user would, on a database of its own. */
async function cli(args: string[], databaseUrl: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['dist/cli/main.js', ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: 'development' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('command line', () => {
  let databaseUrl: string;
  let path: string;

  beforeAll(async () => {
    // The CLI runs from dist/, as `npm run cli` does; build it when the sources are newer.
    await run(process.execPath, ['scripts/build-if-needed.js'], { cwd: root });
    path = join(mkdtempSync(join(tmpdir(), 'colloquy-cli-')), 'cli.sqlite');
    databaseUrl = `sqlite:${path}`;
  }, 120_000);

  async function tableRows(sql: string): Promise<Record<string, unknown>[]> {
    const dataSource = await new DataSource({ type: 'sqlite', database: path }).initialize();
    try {
      return await dataSource.query(sql);
    } finally {
      await dataSource.destroy();
    }
  }

  it('refuses bad input with a message and a non-zero exit, touching nothing', async () => {
    const bad = await cli(['users:create', '--email', 'not-an-email', '--password', 'short'], databaseUrl);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--email must be an email address');
    expect(bad.stderr).toContain('--password must be at least 8 characters');
    const unknown = await cli(['users:destroy'], databaseUrl);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown command "users:destroy"');
    const badRole = await cli(
      ['users:create', '--email', 'a@example.com', '--password', 'long enough', '--role', 'root'],
      databaseUrl,
    );
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toContain('--role must be user or admin');
  });

  it('migrates, creates the first admin, refuses a duplicate, seeds, and drops', async () => {
    const migrate = await cli(['db:migrate'], databaseUrl);
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toMatch(/applied \d+ migration\(s\)/);
    expect((await cli(['db:migrate'], databaseUrl)).stdout).toContain('database is up to date');

    const created = await cli(
      ['users:create', '--email', 'Root@Example.com', '--password', 'a long password', '--role', 'admin'],
      databaseUrl,
    );
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('created admin root@example.com');
    expect(created.stdout + created.stderr).not.toContain('a long password');
    const duplicate = await cli(
      ['users:create', '--email', 'root@example.com', '--password', 'another one'],
      databaseUrl,
    );
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('already exists');
    expect(await tableRows("SELECT email, role FROM users WHERE email = 'root@example.com'")).toEqual([
      { email: 'root@example.com', role: 'admin' },
    ]);

    const seed = await cli(['db:seed'], databaseUrl);
    expect(seed.code).toBe(0);
    expect(seed.stdout).toContain('created demo user demo@example.com');
    expect((await cli(['db:seed'], databaseUrl)).stdout).toContain('already exists');
    const messages = await tableRows(
      "SELECT m.role, m.status FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN users u ON u.id = c.owner_id WHERE u.email = 'demo@example.com' ORDER BY m.created_at",
    );
    expect(messages).toEqual([
      { role: 'user', status: 'complete' },
      { role: 'assistant', status: 'complete' },
    ]);

    // users:reset-password: the new password works, the old one and every earlier sign-in do not.
    const t = await createTestApp({}, { databaseUrl });
    try {
      const before = await t
        .http()
        .post('/auth/login')
        .send({ email: 'root@example.com', password: 'a long password' })
        .expect(200);
      const badReset = await cli(
        ['users:reset-password', '--email', 'root@example.com', '--password', 'short'],
        databaseUrl,
      );
      expect(badReset.code).toBe(1);
      expect(badReset.stderr).toContain('--password must be at least 8 characters');
      const unknown = await cli(
        ['users:reset-password', '--email', 'nobody@example.com', '--password', 'long enough'],
        databaseUrl,
      );
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('user not found');

      const reset = await cli(
        ['users:reset-password', '--email', 'ROOT@example.com', '--password', 'a new long password'],
        databaseUrl,
      );
      expect(reset.code).toBe(0);
      expect(reset.stdout).toContain('password of root@example.com set; every sign-in of that user has ended');
      expect(reset.stdout + reset.stderr).not.toContain('a new long password');
      await t.http().post('/auth/login').send({ email: 'root@example.com', password: 'a long password' }).expect(401);
      await t
        .http()
        .post('/auth/login')
        .send({ email: 'root@example.com', password: 'a new long password' })
        .expect(200);
      const refused = await t.http().post('/auth/refresh').send({ refreshToken: before.body.refreshToken }).expect(401);
      expect(refused.body.code).toBe('SESSION_REVOKED');
    } finally {
      await t.close();
    }

    const drop = await cli(['db:drop'], databaseUrl);
    expect(drop.code).toBe(0);
    expect(await tableRows("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'users'")).toEqual([]);
  }, 60_000);
});
