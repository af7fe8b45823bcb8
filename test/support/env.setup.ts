import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Configuration is validated when AppModule is imported, so every test file starts from this environment,
// with a database file of its own. A test may override a variable before it creates the app.
process.env.NODE_ENV = 'test';
process.env.LOG_LEVEL = 'silent';
process.env.JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';
process.env.DATA_ENCRYPTION_KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
// Every test request comes from 127.0.0.1, so a suite making dozens of accounts, or testing refused tokens,
// would spend the one address's allowance; throttling.e2e-spec sets these limits to what it tests.
process.env.REGISTRATIONS_PER_HOUR = '100000';
process.env.AUTH_FAILURES_PER_MINUTE = '100000';
// A failing provider's call is made again, and a provider failing again and again paused, only where a suite asks
// for it (providers-failing.e2e-spec): the others script failures one after the other and expect to see each.
process.env.AI_RETRIES = '0';
process.env.AI_COOLDOWN_FAILURES = '1000';
delete process.env.MODEL_FALLBACKS;
process.env.DATABASE_URL ??= `sqlite:${join(mkdtempSync(join(tmpdir(), 'colloquy-test-')), 'test.sqlite')}`;
// Uploads of every test file go to a directory of its own, never to the project's data/files.
process.env.FILES_DIR = mkdtempSync(join(tmpdir(), 'colloquy-files-'));
delete process.env.OPENAI_API_KEY;
delete process.env.OPENAI_BASE_URL;
delete process.env.ANTHROPIC_API_KEY;
delete process.env.ANTHROPIC_BASE_URL;
delete process.env.OLLAMA_BASE_URL;
// Redis is used only by the suites about several processes (*.redis-e2e-spec.ts, run when REDIS_URL is set), each
// with a key prefix of its own: counters shared by parallel test files would refuse each other's requests.
process.env.TEST_REDIS_URL ??= process.env.REDIS_URL ?? '';
delete process.env.REDIS_URL;
