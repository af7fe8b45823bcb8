import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  validateSync,
} from 'class-validator';
import { DURATION_PATTERN } from './duration';
import { MODEL_FALLBACKS_PATTERN, parseModelFallbacks } from './model-fallbacks';

const emptyToUndefined = ({ value }: { value: unknown }) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const booleanFromText = ({ obj, key }: { obj: Record<string, unknown>; key: string }) => {
  const raw = obj[key];
  return raw === 'true' ? true : raw === 'false' ? false : raw;
};

/** Every environment variable the server reads, with its bounds. Anything else in the environment is ignored. */
export class EnvironmentVariables {
  @IsOptional()
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT: number = 3000;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  HOST: string = '0.0.0.0';

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, {
    message: 'DATABASE_URL must be sqlite:<path> or postgres://user:password@host:port/database',
  })
  DATABASE_URL: string = 'sqlite:data/app.sqlite';

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be redis://[user:password@]host:port[/db] (or rediss://)' })
  REDIS_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[\w.:-]{1,64}$/, { message: 'REDIS_KEY_PREFIX must be 1-64 letters, digits, ".", ":", "_" or "-"' })
  REDIS_KEY_PREFIX: string = 'colloquy:';

  /** Bearer token for GET /metrics; unset, /metrics answers 404. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[\x21-\x7e]{16,256}$/, {
    message: 'METRICS_TOKEN must be 16 to 256 printable characters without spaces',
  })
  METRICS_TOKEN?: string;

  @Transform(emptyToUndefined)
  @ValidateIf((env: EnvironmentVariables) => env.NODE_ENV === 'production' || env.JWT_SECRET !== undefined)
  @IsString({ message: 'JWT_SECRET is required when NODE_ENV=production' })
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters long' })
  JWT_SECRET?: string;

  /** 32 bytes as base64 or hex; two-factor sign-in cannot be set up without it (503 MFA_UNAVAILABLE). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, {
    message: 'DATA_ENCRYPTION_KEY must be 32 bytes as base64 (44 characters) or hex (64 characters)',
  })
  DATA_ENCRYPTION_KEY?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(DURATION_PATTERN, { message: 'JWT_ACCESS_TTL must be a duration above zero, such as 900s, 15m, 12h or 30d' })
  JWT_ACCESS_TTL: string = '15m';

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(DURATION_PATTERN, { message: 'REFRESH_TTL must be a duration above zero, such as 3600s, 12h or 30d' })
  REFRESH_TTL: string = '30d';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  OPENAI_BASE_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  OPENAI_API_KEY?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  ANTHROPIC_BASE_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  ANTHROPIC_API_KEY?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  OLLAMA_BASE_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[a-z0-9-]+\/.+$/, { message: 'DEFAULT_MODEL must look like <provider>/<model>, e.g. echo/echo' })
  DEFAULT_MODEL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  // A browser's Origin is exactly scheme://host[:port]: anything else (a trailing slash, a path, *) never matches.
  @Matches(/^\s*https?:\/\/[^\s/,*]+(\s*,\s*https?:\/\/[^\s/,*]+)*\s*$/, {
    message:
      'CORS_ORIGINS must be comma-separated origins such as https://chat.example.com,http://localhost:5173 ' +
      '(scheme, host and optional port: no path, no trailing slash, no *)',
  })
  CORS_ORIGINS?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  AI_TIMEOUT_MS: number = 60_000;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10)
  AI_RETRIES: number = 2;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(60_000)
  AI_RETRY_BASE_DELAY_MS: number = 500;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(600_000)
  AI_RETRY_MAX_DELAY_MS: number = 30_000;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000)
  AI_COOLDOWN_FAILURES: number = 3;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(86_400_000)
  AI_COOLDOWN_MS: number = 30_000;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(MODEL_FALLBACKS_PATTERN, {
    message:
      'MODEL_FALLBACKS must be comma-separated <provider>/<model>=<provider>/<model>[|<provider>/<model>...] entries, ' +
      'e.g. openai/gpt-4o=anthropic/claude-sonnet-4-5|ollama/llama3.2',
  })
  MODEL_FALLBACKS?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  RATE_LIMIT_PER_MINUTE: number = 600;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10)
  TRUST_PROXY: number = 0;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  LOGIN_MAX_FAILURES: number = 10;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  LOGIN_MAX_FAILURES_PER_IP: number = 100;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  AUTH_FAILURES_PER_MINUTE: number = 30;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  REGISTRATIONS_PER_HOUR: number = 10;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10_000)
  PASSWORD_HASH_QUEUE: number = 32;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(1024)
  @Max(100 * 1024 * 1024)
  BODY_LIMIT_BYTES: number = 1024 * 1024;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10 * 60 * 1000)
  SHUTDOWN_GRACE_MS: number = 10_000;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt({ message: 'AUDIT_RETENTION_DAYS must be a whole number of days' })
  @Min(1, { message: 'AUDIT_RETENTION_DAYS must be at least 1' })
  @Max(36_500, { message: 'AUDIT_RETENTION_DAYS must be at most 36500' })
  AUDIT_RETENTION_DAYS: number = 365;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  HTTP_REQUEST_TIMEOUT_MS: number = 30_000;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  HTTP_HEADERS_TIMEOUT_MS: number = 10_000;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS: number = 10_000;

  // Read from the raw text: implicit conversion would make the string "false" true.
  @Transform(booleanFromText)
  @IsOptional()
  @IsBoolean({ message: 'DOCS_ENABLED must be true or false' })
  DOCS_ENABLED: boolean = true;

  @Transform(booleanFromText)
  @IsOptional()
  @IsBoolean({ message: 'ALLOW_REGISTRATION must be true or false' })
  ALLOW_REGISTRATION: boolean = true;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'PUBLIC_URL must be an http:// or https:// address, e.g. https://chat.example.com' },
  )
  PUBLIC_URL?: string;

  /** Comma-separated names; each has OIDC_<NAME>_ISSUER, _CLIENT_ID, _CLIENT_SECRET and _LABEL (see sign-in.config). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^\s*[A-Za-z0-9_]+(\s*,\s*[A-Za-z0-9_]+)*\s*$/, {
    message: 'OIDC_PROVIDERS must be comma-separated names of letters, digits and "_", e.g. keycloak,google',
  })
  OIDC_PROVIDERS?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MaxLength(255)
  GITHUB_CLIENT_ID?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MaxLength(255)
  GITHUB_CLIENT_SECRET?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'GITHUB_URL must be an http:// or https:// address, e.g. https://github.example.com' },
  )
  GITHUB_URL: string = 'https://github.com';

  /** Default: https://api.github.com for github.com, <GITHUB_URL>/api/v3 for GitHub Enterprise Server. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'GITHUB_API_URL must be an http:// or https:// address, e.g. https://github.example.com/api/v3' },
  )
  GITHUB_API_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^smtps?:\/\/\S+$/, { message: 'SMTP_URL must be smtp://[user:password@]host[:port] or smtps://...' })
  SMTP_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[^\r\n]*[^\s@<>]+@[^\s@<>]+[^\r\n]*$/, {
    message: 'MAIL_FROM must be an address such as no-reply@example.com or "Colloquy <no-reply@example.com>"',
  })
  @MaxLength(254)
  MAIL_FROM?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(DURATION_PATTERN, { message: 'PASSWORD_RESET_TTL must be a duration above zero, such as 900s, 30m or 2h' })
  PASSWORD_RESET_TTL: string = '30m';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  PASSWORD_RESET_MAX_PER_EMAIL: number = 5;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  PASSWORD_RESET_MAX_PER_IP: number = 20;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  MAIL_RETRY_MIN_MS: number = 30_000;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  FILES_DIR: string = 'data/files';

  // Sizes are stored in 32-bit integer columns; 1 GiB leaves room below that for one upload.
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1024 * 1024 * 1024)
  FILE_MAX_BYTES: number = 20 * 1024 * 1024;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  FILE_QUOTA_BYTES: number = 1024 * 1024 * 1024;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(600_000)
  FILE_EXTRACT_TIMEOUT_MS: number = 30_000;

  // What a call without max_tokens reserves against a token quota, beside its prompt, until its usage is known.
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  QUOTA_DEFAULT_MAX_TOKENS: number = 1024;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' = 'info';
}

/**
 * The last environment that passed, and its values. Each config namespace checks the environment when it loads,
 * a dozen times in a start, each time the same one: checking it again (about a millisecond each) is skipped.
 */
let lastValid: { given: string; env: Readonly<EnvironmentVariables> } | undefined;

/**
 * Checks the raw environment once and returns typed values. Throws one error that names every bad variable,
 * so a misconfigured start stops before anything listens.
 */
export function validateEnv(raw: Record<string, unknown>): Readonly<EnvironmentVariables> {
  // `PORT=` in .env means "not set": left in, it would become 0 (or undefined) instead of taking the default.
  const given = Object.fromEntries(
    Object.entries(raw).filter(([, value]) => !(typeof value === 'string' && value.trim() === '')),
  );
  const givenText = JSON.stringify(given);
  if (lastValid?.given === givenText) return lastValid.env;
  const env = plainToInstance(EnvironmentVariables, given, { enableImplicitConversion: true });
  const errors = validateSync(env, { skipMissingProperties: false, forbidUnknownValues: false });
  const lines = errors.map((e) => `  ${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`);
  // Node refuses to start a server whose header time-out is longer than its request time-out.
  if (errors.length === 0 && env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
    lines.push('  HTTP_HEADERS_TIMEOUT_MS: must not be longer than HTTP_REQUEST_TIMEOUT_MS');
  }
  if (errors.length === 0 && env.MODEL_FALLBACKS) {
    const problem = parseModelFallbacks(env.MODEL_FALLBACKS).problem;
    if (problem) lines.push(`  MODEL_FALLBACKS: ${problem}`);
  }
  if (lines.length > 0) {
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  // Frozen, since every caller of an unchanged environment shares it.
  lastValid = { given: givenText, env: Object.freeze(env) };
  return env;
}
