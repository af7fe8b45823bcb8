import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { validate } from 'class-validator';
import { plainToInstance } from 'class-transformer';
import { AppError } from '../common/errors/app.error';
import { fieldMessages } from '../common/validation.pipe';
import { dropAllTables, runPendingMigrations } from '../database/schema';
import { SeedService } from './seed.service';
import { UsersService } from '../users/users.service';
import { CliModule } from './cli.module';
import { CreateUserCommandDto } from './create-user-command.dto';
import { ResetPasswordCommandDto } from './reset-password-command.dto';

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  db:migrate                                   apply pending migrations
  db:drop                                      drop every table (asks nothing: be sure)
  db:seed                                      add a demo user and a sample conversation
  users:create --email E --password P [--display-name N] [--role user|admin]
                                               create a user (how the first admin is made)
  users:reset-password --email E --password P  set a user's password; every sign-in of that user ends
`;

/** A mistake in the command line itself; answered with the usage text. */
class UsageError extends Error {}
/** Input that parsed but is not acceptable; answered with the reason only. */
class InputError extends Error {}

const log = (line: string) => process.stdout.write(`${line}\n`);

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const known = ['db:migrate', 'db:drop', 'db:seed', 'users:create', 'users:reset-password'];
  if (!known.includes(command)) throw new UsageError(`unknown command "${command}"`);

  // Validate the arguments before opening the database, so a typo never touches data.
  const createUser = command === 'users:create' ? await parseCreateUser(rest) : undefined;
  const resetPassword = command === 'users:reset-password' ? await parseResetPassword(rest) : undefined;
  if (!createUser && !resetPassword && rest.length > 0) throw new UsageError(`${command} takes no arguments`);

  const app = await NestFactory.createApplicationContext(CliModule, { logger: ['error', 'warn'] });
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
  return validated(
    plainToInstance(CreateUserCommandDto, {
      email: values.email,
      password: values.password,
      displayName: values['display-name'],
      role: values.role ?? 'user',
    }),
  );
}

async function parseResetPassword(args: string[]): Promise<ResetPasswordCommandDto> {
  const values = parseOptions(args, ['email', 'password']);
  return validated(plainToInstance(ResetPasswordCommandDto, { email: values.email, password: values.password }));
}

function parseOptions(args: string[], names: string[]): Record<string, string | undefined> {
  try {
    return parseArgs({
      args,
      options: Object.fromEntries(names.map((name) => [name, { type: 'string' as const }])),
      strict: true,
      allowPositionals: false,
    }).values as Record<string, string | undefined>;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function validated<T extends object>(dto: T): Promise<T> {
  const errors = await validate(dto);
  if (errors.length > 0) throw new InputError(fieldMessages(errors).join('\n       '));
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

run(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof UsageError || error instanceof InputError || error instanceof AppError) {
      process.stderr.write(`error: ${error.message}\n`);
      if (error instanceof UsageError) process.stderr.write(`\n${USAGE}`);
    } else {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    process.exit(1);
  },
);
