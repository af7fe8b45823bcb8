#!/usr/bin/env node
// Builds dist/ when it is missing or older than anything it is made from, so `npm start` and the CLI always run
// current code. The bundles include the installed dependencies, so a changed node_modules counts too.
const { existsSync, readdirSync, readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { execFileSync } = require('node:child_process');

const root = join(__dirname, '..');
const ENTRIES = ['main', join('cli', 'main')];
/** The first line of the entry files scripts/bundle.js writes (`nest start --watch` leaves tsc's there instead). */
const ENTRY_MARK = '// colloquy:bundle-entry';

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const mtime = entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs;
    if (mtime > newest) newest = mtime;
  }
  return newest;
}

function isCurrent() {
  const sources = [
    'src',
    'package.json',
    'tsconfig.json',
    'tsconfig.build.json',
    'nest-cli.json',
    'scripts/bundle.js',
    'scripts/bundle-shims.js',
    'scripts/bundle-loader.js',
    // npm rewrites it whenever it changes the installed packages.
    'node_modules/.package-lock.json',
  ]
    .map((p) => join(root, p))
    .filter((p) => existsSync(p));
  const newestSource = Math.max(
    ...sources.map((p) => (statSync(p).isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)),
  );
  return ENTRIES.every((entry) => {
    const start = join(root, 'dist', `${entry}.js`);
    const bundle = join(root, 'dist', `${entry}.bundle.js`);
    return (
      existsSync(start) &&
      existsSync(bundle) &&
      readFileSync(start, 'utf8').startsWith(ENTRY_MARK) &&
      statSync(bundle).mtimeMs >= newestSource
    );
  });
}

if (!isCurrent()) {
  process.stderr.write('Building (dist/ is missing or older than its sources)...\n');
  try {
    // The steps of `npm run build`.
    execFileSync(process.execPath, [require.resolve('@nestjs/cli/bin/nest.js'), 'build'], {
      cwd: root,
      stdio: 'inherit',
    });
    execFileSync(process.execPath, [join(__dirname, 'bundle.js')], { cwd: root, stdio: 'inherit' });
  } catch {
    process.stderr.write('Build failed: see the errors above.\n');
    process.exit(1);
  }
}
