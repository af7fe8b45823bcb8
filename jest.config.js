// The @nestjs/* 12 packages (and a few of their dependencies) ship ES modules only; Jest runs CommonJS,
// so SWC transforms them along with our TypeScript.
const esmOnly =
  '/node_modules/(?!(@nestjs|@fastify/cookie|cookie|file-type|strtok3|token-types|@tokenizer|uint8array-extras|@borewit|content-disposition|unpdf|openid-client|oauth4webapi|jose|oidc-provider)/)';

const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
        keepClassNames: true,
      },
      module: { type: 'commonjs' },
    },
  ],
  '^.+\\.m?js$': [
    '@swc/jest',
    { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022', keepClassNames: true }, module: { type: 'commonjs' } },
  ],
};

// Specs about PostgreSQL's own behaviour run only when the suite runs against PostgreSQL (see .ci/run).
const onPostgres = (process.env.DATABASE_URL ?? '').startsWith('postgres');
// Specs about several processes sharing a Redis run only when one is given (see .ci/run).
const withRedis = Boolean(process.env.REDIS_URL);

const common = {
  testEnvironment: 'node',
  transform,
  transformIgnorePatterns: [esmOnly],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  setupFiles: ['<rootDir>/test/support/env.setup.ts'],
  // file-type exports its Node entry under the `import` and `module-sync` conditions only, neither of which
  // Jest's resolver uses for a require.
  moduleNameMapper: { '^file-type$': '<rootDir>/node_modules/file-type/index.js' },
};

/** @type {import('jest').Config} */
module.exports = {
  // Jest reads testTimeout from the top-level configuration only (a project's own value is ignored); booting
  // the app on a busy 2-core machine can take longer than the 5 s default.
  testTimeout: 30_000,
  projects: [
    { ...common, displayName: 'unit', rootDir: '.', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      rootDir: '.',
      testMatch: [
        '<rootDir>/test/e2e/**/*.e2e-spec.ts',
        ...(onPostgres ? ['<rootDir>/test/e2e/**/*.pg-e2e-spec.ts'] : []),
        ...(withRedis ? ['<rootDir>/test/e2e/**/*.redis-e2e-spec.ts'] : []),
      ],
    },
    {
      ...common,
      displayName: 'browser',
      rootDir: '.',
      testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
      // Run by Jest only when a browser test is selected.
      globalSetup: '<rootDir>/test/support/chromium.global-setup.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/browser.setup.ts'],
    },
  ],
};
