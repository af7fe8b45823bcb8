import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { createTestApp } from '../support/create-test-app';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

/**
 * Runs the built command line as a user would, on a database of its own. `env` is added to the environment (which
 * never holds a COLLOQUY_PASSWORD of the test run's own); `input` is written to its standard input, which is then
 * closed, so a command that reads its password from there never waits for ever.
 */
async function cli(
  args: string[],
  databaseUrl: string,
  { env = {}, input = '' }: { env?: Record<string, string>; input?: string } = {},
): Promise<CliResult> {
  const started = Date.now();
  const running = run(process.execPath, ['dist/cli/main.js', ...args], {
    cwd: root,
    env: { ...process.env, COLLOQUY_PASSWORD: undefined, DATABASE_URL: databaseUrl, NODE_ENV: 'development', ...env },
  });
  running.child.stdin!.end(input);
  try {
    const { stdout, stderr } = await running;
    return { code: 0, stdout, stderr, elapsedMs: Date.now() - started };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr, elapsedMs: Date.now() - started };
  }
}

/** The CLI's own answer to a failure: exit code 1 and a single `error:` line, with no stack trace and no Nest log. */
function expectOneLineError(result: CliResult, message: string | RegExp): void {
  expect(result.code).toBe(1);
  const errorLines = result.stderr.split('\n').filter((line) => line.startsWith('error:'));
  expect(errorLines).toHaveLength(1);
  expect(result.stderr).toMatch(message);
  expect(result.stdout + result.stderr).not.toMatch(/^ {4}at /m);
  expect(result.stdout + result.stderr).not.toMatch(/ExceptionHandler|Retrying|\[Nest\]/);
}

/** A TCP port on 127.0.0.1 that nothing listens on: one the system has just handed out and taken back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('command line', () => {
  let databaseUrl: string;
  let path: string;
  let dir: string;

  beforeAll(async () => {
    // The CLI runs from dist/, as `npm run cli` does; build it when the sources are newer.
    await run(process.execPath, ['scripts/build-if-needed.js'], { cwd: root });
    dir = mkdtempSync(join(tmpdir(), 'colloquy-cli-'));
    path = join(dir, 'cli.sqlite');
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

  it('prints its usage and exits 0 when asked for help, after a command too, touching nothing', async () => {
    for (const args of [
      ['--help'],
      ['-h'],
      ['users:create', '--help'],
      ['users:reset-password', '--email', 'a@b.co', '-h'],
    ]) {
      const asked = await cli(args, `sqlite:${join(dir, 'help.sqlite')}`);
      expect({ args, code: asked.code, stderr: asked.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(asked.stdout).toMatch(/^Usage: npm run -s cli -- <command>/);
      expect(asked.stdout).toContain('users:create --email E');
    }
    expect(existsSync(join(dir, 'help.sqlite'))).toBe(false);
  });

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

  it('names the flags in its messages, refuses a blank --display-name and a flag given twice, touching nothing', async () => {
    const refusedPath = join(dir, 'refused.sqlite');
    const refused = `sqlite:${refusedPath}`;
    const blank = await cli(
      ['users:create', '--email', 'a@example.com', '--password', 'long enough', '--display-name', '   '],
      refused,
    );
    expectOneLineError(blank, '--display-name must not be empty');

    const tooLong = await cli(
      ['users:create', '--email', 'a@example.com', '--password', 'p'.repeat(257), '--display-name', 'n'.repeat(101)],
      refused,
    );
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toContain('--password must be at most 256 characters');
    expect(tooLong.stderr).toContain('--display-name must be at most 100 characters');
    expect(tooLong.stderr).not.toMatch(/\b(displayName|password must be shorter)/);

    const noEmail = await cli(['users:create', '--password', 'long enough'], refused);
    expectOneLineError(noEmail, '--email is required');

    const twice = await cli(
      ['users:create', '--email', 'a@example.com', '--email', 'b@example.com', '--password', 'long enough'],
      refused,
    );
    expectOneLineError(twice, '--email is given 2 times');
    const passwordTwice = await cli(
      ['users:reset-password', '--email', 'a@example.com', '--password', 'long enough', '--password', 'and another'],
      refused,
    );
    expectOneLineError(passwordTwice, '--password is given 2 times');
    expect(passwordTwice.stderr).not.toContain('long enough');

    // Refused before the database was opened: not even its file was made.
    expect(existsSync(refusedPath)).toBe(false);
  });

  it('fails to start in one line, at once and without a stack trace: bad settings, a database it cannot open', async () => {
    const fresh = `sqlite:${join(dir, 'never-made.sqlite')}`;
    const badUrl = await cli(['db:migrate'], fresh, { env: { DATABASE_URL: 'mysql://x@y/z' } });
    expectOneLineError(badUrl, 'DATABASE_URL must be sqlite:<path> or postgres://');
    const badSetting = await cli(['db:migrate'], fresh, { env: { JWT_ACCESS_TTL: 'banana' } });
    expectOneLineError(badSetting, 'JWT_ACCESS_TTL must be a duration');
    // users:create loads the configuration only after its arguments (and password) are in: same answer.
    const badSettingAfterPassword = await cli(['users:create', '--email', 'a@example.com'], fresh, {
      env: { JWT_ACCESS_TTL: 'banana' },
      input: 'long enough\n',
    });
    expectOneLineError(badSettingAfterPassword, 'JWT_ACCESS_TTL must be a duration');

    const file = join(dir, 'a-regular-file');
    writeFileSync(file, '');
    const underFile = await cli(['db:migrate'], `sqlite:${join(file, 'sub', 'app.sqlite')}`);
    expectOneLineError(underFile, /ENOTDIR|EEXIST/);

    // The server retries a refused connection for ~30 s (TypeORM's 10 attempts); the CLI answers at once.
    const port = await closedPort();
    const unreachable = await cli(['db:migrate'], `postgres://colloquy:hunter2-secret@127.0.0.1:${port}/colloquy`);
    expectOneLineError(unreachable, 'ECONNREFUSED');
    expect(unreachable.elapsedMs).toBeLessThan(10_000);
    expect(unreachable.stdout + unreachable.stderr).not.toContain('hunter2-secret');
    const createOnUnreachable = await cli(
      ['users:create', '--email', 'a@example.com', '--password', 'long enough'],
      `postgres://colloquy:hunter2-secret@127.0.0.1:${port}/colloquy`,
    );
    expectOneLineError(createOnUnreachable, 'ECONNREFUSED');
    expect(createOnUnreachable.elapsedMs).toBeLessThan(10_000);
    expect(createOnUnreachable.stdout + createOnUnreachable.stderr).not.toContain('hunter2-secret');

    expect(existsSync(join(dir, 'never-made.sqlite'))).toBe(false);
  }, 60_000);

  it('warns of nothing on a new database: the audit log has no table to clean up before the migrations', async () => {
    // Nest writes its warnings to standard output; "applied AuditLog..." is a migration's name.
    const auditWarning = /WARN|\[AuditLog\]|audit_events|no such table/;
    const created = await cli(
      ['users:create', '--email', 'first@example.com', '--password', 'a long password', '--role', 'admin'],
      `sqlite:${join(dir, 'new-for-users.sqlite')}`,
    );
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('created admin first@example.com');
    expect(created.stdout + created.stderr).not.toMatch(auditWarning);

    const seeded = await cli(['db:seed'], `sqlite:${join(dir, 'new-for-seed.sqlite')}`);
    expect(seeded.code).toBe(0);
    expect(seeded.stdout + seeded.stderr).not.toMatch(auditWarning);

    const migrateUrl = `sqlite:${join(dir, 'new-for-migrate.sqlite')}`;
    const migrated = await cli(['db:migrate'], migrateUrl);
    expect(migrated.code).toBe(0);
    expect(migrated.stdout + migrated.stderr).not.toMatch(auditWarning);
    for (let i = 0; i < 2; i++) {
      const dropped = await cli(['db:drop'], migrateUrl);
      expect(dropped.code).toBe(0);
      expect(dropped.stdout + dropped.stderr).not.toMatch(auditWarning);
    }
  }, 60_000);

  it('takes the password from COLLOQUY_PASSWORD or standard input when --password is left out', async () => {
    const url = `sqlite:${join(dir, 'passwords.sqlite')}`;
    const fromEnvironment = await cli(['users:create', '--email', 'env@example.com', '--role', 'admin'], url, {
      env: { COLLOQUY_PASSWORD: 'from the environment' },
    });
    expect(fromEnvironment.code).toBe(0);
    expect(fromEnvironment.stdout).toContain('created admin env@example.com');
    const fromInput = await cli(['users:create', '--email', 'stdin@example.com'], url, {
      input: 'from standard input\nnot this line\n',
    });
    expect(fromInput.code).toBe(0);
    expect(fromInput.stdout).toContain('created user stdin@example.com');
    expect(fromInput.stdout + fromInput.stderr).not.toContain('from standard input');
    // --password, when given, comes first.
    const flagFirst = await cli(['users:create', '--email', 'flag@example.com', '--password', 'from the flag'], url, {
      env: { COLLOQUY_PASSWORD: 'not this one' },
    });
    expect(flagFirst.code).toBe(0);

    const none = await cli(['users:create', '--email', 'none@example.com'], url);
    expectOneLineError(none, 'no password: give --password, set COLLOQUY_PASSWORD, or write it on standard input');
    const shortInput = await cli(['users:create', '--email', 'none@example.com'], url, { input: 'short\n' });
    expectOneLineError(shortInput, 'the password must be at least 8 characters');
    const shortEnvironment = await cli(['users:reset-password', '--email', 'env@example.com'], url, {
      env: { COLLOQUY_PASSWORD: 'short' },
    });
    expectOneLineError(shortEnvironment, 'COLLOQUY_PASSWORD must be at least 8 characters');
    // The other flags are checked before the password is read.
    const badEmail = await cli(['users:create', '--email', 'not-an-email'], url, { input: 'short\n' });
    expectOneLineError(badEmail, '--email must be an email address');
    expect(badEmail.stderr).not.toContain('password');

    const t = await createTestApp({}, { databaseUrl: url });
    try {
      const login = (email: string, password: string) => t.http().post('/auth/login').send({ email, password });
      await login('env@example.com', 'from the environment').expect(200);
      await login('stdin@example.com', 'from standard input').expect(200);
      await login('flag@example.com', 'from the flag').expect(200);
      expect(await t.query("SELECT email FROM users WHERE email = 'none@example.com'")).toEqual([]);

      const resetFromInput = await cli(['users:reset-password', '--email', 'env@example.com'], url, {
        input: 'reset from standard input\n',
      });
      expect(resetFromInput.code).toBe(0);
      expect(resetFromInput.stdout).toContain('password of env@example.com set');
      const resetFromEnvironment = await cli(['users:reset-password', '--email', 'stdin@example.com'], url, {
        env: { COLLOQUY_PASSWORD: 'reset from the environment' },
      });
      expect(resetFromEnvironment.code).toBe(0);
      await login('env@example.com', 'from the environment').expect(401);
      await login('env@example.com', 'reset from standard input').expect(200);
      await login('stdin@example.com', 'from standard input').expect(401);
      await login('stdin@example.com', 'reset from the environment').expect(200);
    } finally {
      await t.close();
    }
  }, 60_000);

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
