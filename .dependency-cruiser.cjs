// The architecture, as `npm run lint` enforces it (dependency-cruiser; `npm run lint:deps` alone).
//
//   composition root   src/main.ts, src/app.module.ts, src/app.setup.ts, src/cli/   wires everything; nothing imports it
//   features           src/<feature>/                                               use the floors and the features listed below
//   floors             src/common/, src/config/, src/database/                      know no feature
//   tests              test/, src/**/*.spec.ts                                      may import anything; production code never imports them
//
// Arrows point down only: a feature's entities are registered by its own module (TypeOrmModule.forFeature), shared
// types (the principal, roles) live in common/, and a feature that answers errors in another API's shape provides an
// ErrorDialect instead of teaching the global filter about its routes.

/** Every feature folder under src/, and the other features it may import. An arrow missing here fails the lint. */
const FEATURES = {
  ai: [], // the model port, one adapter per vendor, the model registry
  files: [], // uploads, their bytes on disk and their text
  users: ['files'], // accounts, profiles, the admin's user list; a deleted account's files leave the disk
  mail: [], // the outbox and its sender
  health: ['mail'], // reports the mailer's state
  web: [], // serves the chat page
  'api-keys': ['users'], // a key works only while its owner is enabled
  usage: ['users'], // the admin report names users
  auth: ['users', 'api-keys', 'mail'], // signs users in by password or by personal API key; password-reset mails
  quotas: ['users'], // admins' limits on model calls; a user policy names an existing user
  conversations: ['ai', 'files', 'quotas'], // chats call the models, with files attached, within the quotas
  'openai-compat': ['ai', 'usage', 'quotas'], // /v1 calls the models within the quotas and records what each key used
  metrics: [], // GET /metrics: the series every feature writes, in common/
  audit: [], // GET /admin/audit: the events every feature records, in common/
};

const FLOORS = ['common', 'config', 'database'];
const COMPOSITION_ROOT = '^src/(main|app[.]module|app[.]setup)[.]ts$|^src/cli/';
const SPEC = '[.]spec[.]ts$';
const anyOf = (folders) => `^src/(${folders.join('|')})/`;

function featureRule(feature, allowed) {
  const others = Object.keys(FEATURES).filter((name) => name !== feature && !allowed.includes(name));
  return {
    name: `feature-${feature}`,
    comment:
      `${feature}/ may import ${allowed.length > 0 ? allowed.join(', ') + ', ' : ''}common, config and database, ` +
      'no other feature. If the new arrow is right, add it to FEATURES in .dependency-cruiser.cjs (it must not ' +
      'close a cycle); otherwise move what both need down into common/.',
    severity: 'error',
    from: { path: `^src/${feature}/` },
    to: { path: anyOf(others) },
  };
}

module.exports = {
  forbidden: [
    {
      name: 'floors-know-no-feature',
      comment:
        'common/, config/ and database/ sit below every feature and must not import one: move the shared type down ' +
        'into common/, or let the feature hand it over (entities through TypeOrmModule.forFeature, error shapes ' +
        'through an ErrorDialect provider).',
      severity: 'error',
      from: { path: anyOf(FLOORS) },
      to: { path: [anyOf(Object.keys(FEATURES)), COMPOSITION_ROOT] },
    },
    {
      name: 'config-is-the-bottom',
      comment: 'config/ reads and validates the environment; it imports nothing else of the application.',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/', pathNot: '^src/config/' },
    },
    ...Object.entries(FEATURES).map(([feature, allowed]) => featureRule(feature, allowed)),
    {
      name: 'only-the-root-wires',
      comment:
        'main.ts, app.module.ts, app.setup.ts and cli/ compose the application; no feature or floor imports them.',
      severity: 'error',
      from: { path: '^src/', pathNot: [COMPOSITION_ROOT, SPEC] },
      to: { path: COMPOSITION_ROOT },
    },
    {
      name: 'unknown-folder',
      comment:
        'Every folder under src/ is a feature, a floor or the composition root; a new feature needs its line in ' +
        'FEATURES in .dependency-cruiser.cjs.',
      severity: 'error',
      from: { path: '^src/' },
      to: {
        path: '^src/[^/]+/',
        pathNot: [anyOf([...Object.keys(FEATURES), ...FLOORS]), COMPOSITION_ROOT],
      },
    },
    {
      name: 'no-tests-in-production',
      comment: 'Test fakes and helpers are not shipped: only specs and test/ may import test/.',
      severity: 'error',
      from: { path: '^src/', pathNot: SPEC },
      to: { path: '^test/' },
    },
    {
      name: 'no-cycles',
      comment: 'Modules and files form an acyclic graph; a cycle means two parts should be one, or share a lower one.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    includeOnly: '^(src|test)/',
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a type from a feature in common/ ties the layers as surely as a value.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
