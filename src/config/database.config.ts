import { registerAs } from '@nestjs/config';
import { validateEnv } from './env.validation';

export type DatabaseConfig = { type: 'sqlite'; path: string; url: string } | { type: 'postgres'; url: string };

export function parseDatabaseUrl(url: string): DatabaseConfig {
  if (url.startsWith('sqlite:')) return { type: 'sqlite', path: url.slice('sqlite:'.length), url };
  return { type: 'postgres', url };
}

export const databaseConfig = registerAs('database', (): DatabaseConfig =>
  parseDatabaseUrl(validateEnv(process.env).DATABASE_URL),
);
