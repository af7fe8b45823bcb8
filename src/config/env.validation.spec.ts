import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateEnv } from './env.validation';

const SECRET = 'a-production-secret-of-at-least-32-chars';

describe('validateEnv', () => {
  it('applies the documented defaults to an empty environment', () => {
    const env = validateEnv({});

    expect(env).toEqual(
      expect.objectContaining({
        NODE_ENV: 'development',
        PORT: 3000,
        DATABASE_URL: 'sqlite:data/app.sqlite',
        JWT_ACCESS_TTL: '15m',
        REFRESH_TTL: '30d',
        AI_TIMEOUT_MS: 60_000,
        RATE_LIMIT_PER_MINUTE: 600,
        TRUST_PROXY: 0,
        LOGIN_MAX_FAILURES: 10,
        LOGIN_MAX_FAILURES_PER_IP: 100,
        AUTH_FAILURES_PER_MINUTE: 30,
        REGISTRATIONS_PER_HOUR: 10,
        PASSWORD_HASH_QUEUE: 32,
        BODY_LIMIT_BYTES: 1024 * 1024,
        HTTP_REQUEST_TIMEOUT_MS: 30_000,
        HTTP_HEADERS_TIMEOUT_MS: 10_000,
        HTTP_KEEP_ALIVE_TIMEOUT_MS: 10_000,
        DOCS_ENABLED: true,
        ALLOW_REGISTRATION: true,
        PASSWORD_RESET_TTL: '30m',
        PASSWORD_RESET_MAX_PER_EMAIL: 5,
        PASSWORD_RESET_MAX_PER_IP: 20,
        MAIL_RETRY_MIN_MS: 30_000,
      }),
    );
    expect(env.SMTP_URL).toBeUndefined();
    expect(env.PUBLIC_URL).toBeUndefined();
    expect(env.JWT_SECRET).toBeUndefined();
    expect(env.CORS_ORIGINS).toBeUndefined();
  });

  it('treats an empty variable, as left by a copied .env.example, as not set', () => {
    const env = validateEnv({
      NODE_ENV: '',
      PORT: '',
      DATABASE_URL: '',
      JWT_SECRET: '',
      JWT_ACCESS_TTL: ' ',
      RATE_LIMIT_PER_MINUTE: '',
      AI_TIMEOUT_MS: '',
      CORS_ORIGINS: '',
    });

    expect(env.NODE_ENV).toBe('development');
    expect(env.PORT).toBe(3000);
    expect(env.DATABASE_URL).toBe('sqlite:data/app.sqlite');
    expect(env.JWT_SECRET).toBeUndefined();
    expect(env.JWT_ACCESS_TTL).toBe('15m');
    expect(env.RATE_LIMIT_PER_MINUTE).toBe(600);
    expect(env.AI_TIMEOUT_MS).toBe(60_000);
  });

  it('turns numeric strings into numbers', () => {
    const env = validateEnv({ PORT: '8080', LOGIN_MAX_FAILURES: '3', TRUST_PROXY: '2' });
    expect(env.PORT).toBe(8080);
    expect(env.LOGIN_MAX_FAILURES).toBe(3);
    expect(env.TRUST_PROXY).toBe(2);
  });

  it('takes CORS_ORIGINS as origins only, refusing what no browser origin would match', () => {
    expect(validateEnv({ CORS_ORIGINS: 'https://chat.example.com, http://localhost:5173' }).CORS_ORIGINS).toBe(
      'https://chat.example.com, http://localhost:5173',
    );
    for (const wrong of ['*', 'https://chat.example.com/', 'chat.example.com', 'https://a.example.com/app']) {
      expect(() => validateEnv({ CORS_ORIGINS: wrong })).toThrow(/CORS_ORIGINS must be comma-separated origins/);
    }
  });

  it('runs without JWT_SECRET outside production', () => {
    expect(() => validateEnv({ NODE_ENV: 'development' })).not.toThrow();
    expect(() => validateEnv({ NODE_ENV: 'test' })).not.toThrow();
  });

  it('refuses production without JWT_SECRET, naming it', () => {
    expect(() => validateEnv({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
    expect(() => validateEnv({ NODE_ENV: 'production', JWT_SECRET: '' })).toThrow(/JWT_SECRET/);
  });

  it('refuses a JWT_SECRET under 32 characters, in production and elsewhere', () => {
    expect(() => validateEnv({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(31) })).toThrow(
      /JWT_SECRET.*at least 32/,
    );
    expect(() => validateEnv({ NODE_ENV: 'development', JWT_SECRET: 'short' })).toThrow(/JWT_SECRET/);
  });

  it('accepts production with a long enough secret', () => {
    const env = validateEnv({ NODE_ENV: 'production', JWT_SECRET: SECRET });
    expect(env.JWT_SECRET).toBe(SECRET);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['DATABASE_URL', 'mysql://localhost/app'],
    ['DATABASE_URL', 'data/app.sqlite'],
    ['JWT_ACCESS_TTL', '15 minutes'],
    ['JWT_ACCESS_TTL', '-5m'],
    ['REFRESH_TTL', 'forever'],
    ['REFRESH_TTL', '0d'],
    ['JWT_ACCESS_TTL', '0'],
    ['PASSWORD_RESET_TTL', '00m'],
    ['NODE_ENV', 'staging'],
    ['RATE_LIMIT_PER_MINUTE', '0'],
    ['LOGIN_MAX_FAILURES', 'ten'],
    ['LOGIN_MAX_FAILURES_PER_IP', '0'],
    ['AUTH_FAILURES_PER_MINUTE', '0'],
    ['REGISTRATIONS_PER_HOUR', '1.5'],
    ['PASSWORD_HASH_QUEUE', '-1'],
    ['OPENAI_BASE_URL', 'not a url'],
    ['DEFAULT_MODEL', 'gpt-4o'],
    ['HTTP_REQUEST_TIMEOUT_MS', '0'],
    ['HTTP_HEADERS_TIMEOUT_MS', '999'],
    ['HTTP_KEEP_ALIVE_TIMEOUT_MS', 'soon'],
    ['DOCS_ENABLED', 'no'],
    ['DOCS_ENABLED', '1'],
    ['ALLOW_REGISTRATION', 'no'],
    ['PUBLIC_URL', 'chat.example.com'],
    ['PUBLIC_URL', 'ftp://chat.example.com'],
    ['SMTP_URL', 'http://mail.example.com'],
    ['SMTP_URL', 'mail.example.com:587'],
    ['MAIL_FROM', 'nobody'],
    ['MAIL_FROM', 'a@example.com\r\nBcc: b@example.com'],
    ['PASSWORD_RESET_TTL', 'half an hour'],
    ['PASSWORD_RESET_MAX_PER_EMAIL', '0'],
    ['PASSWORD_RESET_MAX_PER_IP', 'many'],
    ['MAIL_RETRY_MIN_MS', '10'],
    ['DATA_ENCRYPTION_KEY', 'too-short'],
    ['DATA_ENCRYPTION_KEY', '00'.repeat(31)],
    ['DATA_ENCRYPTION_KEY', Buffer.alloc(16).toString('base64')],
  ])('refuses %s=%j with a message naming the variable', (name, value) => {
    expect(() => validateEnv({ [name]: value })).toThrow(new RegExp(`^Invalid configuration:[\\s\\S]*\\b${name}\\b`));
  });

  it('takes a DATA_ENCRYPTION_KEY of 32 bytes as hex or base64', () => {
    expect(validateEnv({ DATA_ENCRYPTION_KEY: 'ab'.repeat(32) }).DATA_ENCRYPTION_KEY).toBe('ab'.repeat(32));
    const base64 = Buffer.alloc(32, 7).toString('base64');
    expect(validateEnv({ DATA_ENCRYPTION_KEY: base64 }).DATA_ENCRYPTION_KEY).toBe(base64);
  });

  it('names every bad variable in one message', () => {
    let message = '';
    try {
      validateEnv({ PORT: 'abc', DATABASE_URL: 'mysql://x', JWT_ACCESS_TTL: 'soon' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/PORT/);
    expect(message).toMatch(/DATABASE_URL/);
    expect(message).toMatch(/JWT_ACCESS_TTL/);
  });

  it('reads DOCS_ENABLED as true or false, not as any non-empty string', () => {
    expect(validateEnv({ DOCS_ENABLED: 'false' }).DOCS_ENABLED).toBe(false);
    expect(validateEnv({ DOCS_ENABLED: 'true' }).DOCS_ENABLED).toBe(true);
    expect(validateEnv({ DOCS_ENABLED: '' }).DOCS_ENABLED).toBe(true);
  });

  it('refuses a header time-out longer than the request time-out, which Node would refuse at start', () => {
    expect(() => validateEnv({ HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '6000' })).toThrow(
      /HTTP_HEADERS_TIMEOUT_MS: must not be longer than HTTP_REQUEST_TIMEOUT_MS/,
    );
    expect(validateEnv({ HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '5000' })).toEqual(
      expect.objectContaining({ HTTP_REQUEST_TIMEOUT_MS: 5000, HTTP_HEADERS_TIMEOUT_MS: 5000 }),
    );
  });

  it('reads ALLOW_REGISTRATION as true or false, and accepts the mail settings', () => {
    expect(validateEnv({ ALLOW_REGISTRATION: 'false' }).ALLOW_REGISTRATION).toBe(false);
    const env = validateEnv({
      SMTP_URL: 'smtps://user:p%40ss@mail.example.com:465',
      MAIL_FROM: 'Colloquy <no-reply@example.com>',
      PUBLIC_URL: 'https://chat.example.com',
    });
    expect(env).toEqual(
      expect.objectContaining({
        SMTP_URL: 'smtps://user:p%40ss@mail.example.com:465',
        MAIL_FROM: 'Colloquy <no-reply@example.com>',
        PUBLIC_URL: 'https://chat.example.com',
      }),
    );
  });

  it('lists every variable it reads in .env.example', () => {
    const example = readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8');
    const listed = new Set([...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]));
    const read = Object.keys(validateEnv({}));
    expect(read.filter((name) => !listed.has(name))).toEqual([]);
  });

  it('accepts both database URL forms', () => {
    expect(validateEnv({ DATABASE_URL: 'sqlite:/tmp/x.sqlite' }).DATABASE_URL).toBe('sqlite:/tmp/x.sqlite');
    expect(validateEnv({ DATABASE_URL: 'postgres://u:p@db:5432/colloquy' }).DATABASE_URL).toBe(
      'postgres://u:p@db:5432/colloquy',
    );
  });

  it('ignores variables it does not know', () => {
    expect(() => validateEnv({ HOME: '/root', SOMETHING_ELSE: '' })).not.toThrow();
  });
});
