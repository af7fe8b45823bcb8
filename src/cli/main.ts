import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { validate } from 'class-validator';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { fieldMessages } from '../common/validation.pipe';
import { dropAllTables, runPendingMigrations } from '../database/schema';
import { SeedService } from './seed.service';
import { UsersService } from '../users/users.service';
import { CliLogger } from './cli-logger';
import { CreateUserCommandDto } from './create-user-command.dto';
import { readPassword } from './read-password';
import { ResetPasswordCommandDto } from './reset-password-command.dto';

const USAGE = `Usage: npm run -s cli -- <command> [options]

Commands:
  db:migrate                                   apply pending migrations
  db:drop                                      drop every table (asks nothing: be sure)
  db:seed                                      add a demo user and a sample conversation
  users:create --email E [--password P] [--display-name N] [--role user|admin]
                                               create a user (how the first admin is made)
  users:reset-password --email E [--password P]
                                               set a user's password; every sign-in of that user ends

Without --password, the password is taken from the environment variable COLLOQUY_PASSWORD, else read from
standard input (asked for, unechoed, on a terminal): a --password is shown by npm and kept in the shell's history.
`;

/** A mistake in the command line itself; answered with the usage text. */
class UsageError extends Error {}
/** Input that parsed but is not acceptable; answered with the reason only. */
class InputError extends Error {}

const log = (line: string) => process.stdout.write(`${line}\n`);

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const help = ['--help', '-h', 'help'];
  // `users:create --help` asks for the usage too: an answer, not a mistake in the command line.
  if (!command || help.includes(command) || rest.some((arg) => arg === '--help' || arg === '-h')) {
    process.stdout.write(USAGE);
    return;
  }
  const known = ['db:migrate', 'db:drop', 'db:seed', 'users:create', 'users:reset-password'];
  if (!known.includes(command)) throw new UsageError(`unknown command "${command}"`);

  // Validate the arguments before opening the database, so a typo never touches data.
  const createUser = command === 'users:create' ? await parseCreateUser(rest) : undefined;
  const resetPassword = command === 'users:reset-password' ? await parseResetPassword(rest) : undefined;
  if (!createUser && !resetPassword && rest.length > 0) throw new UsageError(`${command} takes no arguments`);

  // Loaded only now: loading it validates the configuration in a promise that only Nest's start awaits, and whose
  // failure would end the process as an unhandled rejection if it came while a password was still being read.
  const { CliModule } = await import('./cli.module.js');
  const app = await NestFactory.createApplicationContext(CliModule, {
    logger: new CliLogger(),
    // Otherwise Nest answers a failed start (a bad setting, a database it cannot open) by logging it with its
    // stack and ending the process, before the CLI can report it in one line.
    abortOnError: false,
  });
  try {
    const dataSource = app.get(DataSource);
    switch (command) {
      case 'db:migrate':
        await migrate(dataSource);
        break;
      case 'db:drop':
        log(`dropping every table of ${describe(dataSource)}...`);
        await dropAllTables(dataSource);
        log('done');
        break;
      case 'db:seed':
        await migrate(dataSource);
        await app.get(SeedService).seed(log);
        break;
      case 'users:create': {
        await migrate(dataSource);
        const user = await app.get(UsersService).create(createUser!);
        log(`created ${user.role} ${user.email} (id ${user.id})`);
        break;
      }
      case 'users:reset-password': {
        await migrate(dataSource);
        const user = await app.get(UsersService).resetPasswordByEmail(resetPassword!.email, resetPassword!.password);
        log(`password of ${user.email} set; every sign-in of that user has ended`);
        break;
      }
    }
  } finally {
    await app.close();
  }
}

async function parseCreateUser(args: string[]): Promise<CreateUserCommandDto> {
  const values = parseOptions(args, ['email', 'password', 'display-name', 'role']);
  const fields = { email: values.email, displayName: values['display-name'], role: values.role ?? 'user' };
  return withPassword(CreateUserCommandDto, fields, values.password);
}

async function parseResetPassword(args: string[]): Promise<ResetPasswordCommandDto> {
  const values = parseOptions(args, ['email', 'password']);
  return withPassword(ResetPasswordCommandDto, { email: values.email }, values.password);
}

function parseOptions(args: string[], names: string[]): Record<string, string | undefined> {
  let values: Record<string, string[] | undefined>;
  try {
    values = parseArgs({
      args,
      options: Object.fromEntries(names.map((name) => [name, { type: 'string' as const, multiple: true }])),
      strict: true,
      allowPositionals: false,
    }).values as Record<string, string[] | undefined>;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  // parseArgs would keep the last of a flag given twice; which one was meant is the person's to say.
  return Object.fromEntries(
    names.map((name) => {
      const given = values[name] ?? [];
      if (given.length > 1) throw new UsageError(`--${name} is given ${given.length} times; give it once`);
      return [name, given[0]];
    }),
  );
}

/**
 * The password from --password, else from COLLOQUY_PASSWORD, else from standard input; a command line is shown by
 * npm ("> node dist/cli/main.js ...") and kept in the shell's history, the other two are not. The other flags are
 * checked first, so that a mistake in them is reported before anyone types a password.
 */
async function withPassword<T extends { password: string }>(
  type: ClassConstructor<T>,
  fields: Record<string, unknown>,
  flag: string | undefined,
): Promise<T> {
  if (flag !== undefined) return validated(type, { ...fields, password: flag });
  await validated(type, fields, { skip: 'password' });
  // Read here rather than in config/: an input of two commands, never a setting of the server.
  const fromEnvironment = process.env.COLLOQUY_PASSWORD;
  const password = fromEnvironment ?? (await readPassword());
  if (password === undefined) {
    throw new InputError('no password: give --password, set COLLOQUY_PASSWORD, or write it on standard input');
  }
  const source = fromEnvironment === undefined ? 'the password' : 'COLLOQUY_PASSWORD';
  return validated(type, { ...fields, password }, { rename: (message) => message.replace(/^--password\b/, source) });
}

async function validated<T extends object>(
  type: ClassConstructor<T>,
  plain: Record<string, unknown>,
  { skip, rename = (message) => message }: { skip?: string; rename?: (message: string) => string } = {},
): Promise<T> {
  const dto = plainToInstance(type, plain);
  const errors = (await validate(dto)).filter((error) => error.property !== skip);
  if (errors.length > 0) throw new InputError(fieldMessages(errors).map(rename).join('\n       '));
  return dto;
}

/** Commands that write data bring the schema up to date first, so they work on a brand-new database. */
async function migrate(dataSource: DataSource): Promise<void> {
  log(`migrating ${describe(dataSource)}...`);
  const applied = await runPendingMigrations(dataSource);
  for (const migration of applied) log(`  applied ${migration.name}`);
  log(applied.length === 0 ? 'database is up to date' : `applied ${applied.length} migration(s)`);
}

function describe(dataSource: DataSource): string {
  const options = dataSource.options;
  return options.type === 'sqlite' ? `SQLite database ${options.database}` : `${options.type} database`;
}

/**
 * The message alone, never a stack: what fails here is the person's to fix (an argument, a setting, a database
 * that cannot be reached), and says so in its message.
 */
function messageOf(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error);
  // A connection to a name with several addresses (localhost: ::1 and 127.0.0.1) fails with an AggregateError
  // whose own message is empty; each attempt's is in it.
  if (!message && error instanceof AggregateError) message = error.errors.map(messageOf).join('; ');
  if (!message) message = (error as { code?: string }).code ?? 'failed';
  return withoutDatabasePassword(message);
}

/** A driver's message may quote the connection string; its password never reaches the terminal or a CI log. */
function withoutDatabasePassword(message: string): string {
  let password: string;
  try {
    password = new URL(process.env.DATABASE_URL ?? '').password;
  } catch {
    return message;
  }
  if (!password) return message;
  let masked = message.replaceAll(password, '***');
  try {
    masked = masked.replaceAll(decodeURIComponent(password), '***');
  } catch {
    // Not valid percent-encoding: the password appears only as written.
  }
  return masked;
}

run(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`error: ${messageOf(error)}\n`);
    if (error instanceof UsageError) process.stderr.write(`\n${USAGE}`);
    process.exit(1);
  },
);
