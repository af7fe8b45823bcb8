#!/usr/bin/env node
'use strict';
/**
 * The second step of `npm run build`, after `nest build` (tsc with the Swagger plugin) has written dist/:
 * bundles dist/main.js and dist/cli/main.js, with the dependencies they load, into one file each.
 *
 * Why: the @nestjs/* packages ship ES modules only, and Node loads those through `require(esm)` file by file;
 * that was most of the start-up time of the server and of every CLI command. One file loads in a fraction of it.
 *
 *   dist/main.js, dist/cli/main.js                  small entry files: source maps on, then the bundle
 *   dist/main.bundle.js, dist/cli/main.bundle.js    the bundles, with .map files that lead back to src/*.ts
 *
 * The rest of dist/ (tsc's output, one file per source) stays: the benchmark's helpers load parts of it.
 */
const { copyFile, readFile, writeFile, rm } = require('node:fs/promises');
const { isBuiltin } = require('node:module');
const { dirname, join, relative, sep } = require('node:path');
const { decode, encode } = require('@jridgewell/sourcemap-codec');
const acorn = require('acorn');
const esbuild = require('esbuild');

const root = join(__dirname, '..');
const dist = join(root, 'dist');
const ENTRIES = ['main', join('cli', 'main')];
const SHIMS = join(__dirname, 'bundle-shims.js');
const LOADER = join(__dirname, 'bundle-loader.js');

/** Marks the entry files this script writes, so that it never bundles its own output (and build-if-needed can tell). */
const ENTRY_MARK = '// colloquy:bundle-entry';

/**
 * Packages left out of the bundle. Native addons load a compiled binary beside their own files (pg-native is
 * pg's optional one, not installed). The others are optional peers that Nest imports only when a feature asks for
 * them (microservices, websockets, Express, views) and that this project does not install.
 */
const EXTERNAL = [
  'sqlite3',
  'argon2',
  'pg-native',
  '@nestjs/microservices',
  '@nestjs/microservices/*',
  '@nestjs/websockets/*',
  '@nestjs/platform-express',
  '@fastify/view',
  // @nestjs/mapped-types falls back to it when class-transformer/cjs/storage (bundled) is missing.
  'class-transformer/storage',
];

/**
 * Packages that a dependency imports by a name computed at run time, which the bundler cannot follow: without
 * help the running app would load a second copy from node_modules, whose classes are not the bundle's (the
 * health check's `getDataSourceToken` from a second @nestjs/typeorm finds no data source, and /health says 503).
 */
const LOADED_BY_NAME = {
  'node_modules/@nestjs/terminus/dist/utils/checkPackage.util.js': {
    argument: 'packageName',
    packages: ['@nestjs/typeorm'],
  },
};

/**
 * Code that this server can never run, left out of the bundle: every byte in it is read and compiled at each start.
 * An import listed here, from the file named, gets a stand-in whose every export throws, naming what was left out.
 */
const LEFT_OUT = [
  {
    what: 'TypeORM drivers of databases Colloquy does not support (it runs on SQLite and PostgreSQL)',
    importer: 'node_modules/typeorm/driver/DriverFactory.js',
    path: /^\.\/(?:aurora-mysql|aurora-postgres|better-sqlite3|capacitor|cockroachdb|cordova|expo|mongodb|mysql|nativescript|oracle|react-native|sap|spanner|sqljs|sqlserver)\//,
  },
  {
    what: "class-validator's phone-number rule (no DTO uses @IsPhoneNumber)",
    importer: 'node_modules/class-validator/cjs/decorator/string/IsPhoneNumber.js',
    path: /^libphonenumber-js\//,
  },
];

function leaveOut() {
  return {
    name: 'leave-out',
    setup(build) {
      build.onResolve({ filter: /.*/ }, ({ path, importer }) => {
        const file = relative(root, importer).split(sep).join('/');
        const rule = LEFT_OUT.find((candidate) => candidate.importer === file && candidate.path.test(path));
        return rule ? { path: `${file} -> ${path}`, namespace: 'left-out', pluginData: rule } : undefined;
      });
      build.onLoad({ filter: /.*/, namespace: 'left-out' }, ({ path, pluginData }) => ({
        loader: 'js',
        contents: `const message = ${JSON.stringify(`${path} is not in this build: ${pluginData.what}`)};
module.exports = new Proxy({}, {
  get: (_, name) => (typeof name === 'symbol' || name === '__esModule' ? undefined : function leftOut() { throw new Error(message); }),
});
`,
      }));
    },
  };
}

/**
 * tsc's output is CommonJS, and each of its files `require`s @nestjs/common and the other packages it uses. When
 * the package is an ES module, esbuild builds a fresh CommonJS view of it (every export copied as a getter) at each
 * such call: some 25,000 copies in a start. Sending those calls through one small CommonJS module per package
 * builds each view once, since a CommonJS module runs once.
 */
function sharedRequires() {
  return {
    name: 'shared-requires',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, ({ path, importer, kind, namespace }) => {
        const fromOurCode = namespace === 'file' && importer.startsWith(dist + sep) && kind === 'require-call';
        if (!fromOurCode || isBuiltin(path) || EXTERNAL.includes(path)) return undefined;
        return { path, namespace: 'shared-require' };
      });
      build.onLoad({ filter: /.*/, namespace: 'shared-require' }, ({ path }) => ({
        contents: `module.exports = require(${JSON.stringify(path)});`,
        loader: 'js',
        resolveDir: root,
      }));
    },
  };
}

/**
 * Nest's two loggers each build an Intl.DateTimeFormat when their module loads: the first one loads ICU's locale
 * data, some 25 ms of every start, for timestamps that Nest's console logger prints and this app (which logs through
 * pino) never asks for. In the bundle they are built by the first `format` call instead.
 */
const DATE_FORMATTER = 'const dateTimeFormatter = new Intl.DateTimeFormat(';
const BUILT_ON_FIRST_USE = [
  'node_modules/@nestjs/common/services/console-logger.service.js',
  'node_modules/@nestjs/common/services/logger.service.js',
];

/**
 * http-errors (loaded with @fastify/static, for the chat page) makes its deprecation logger when its module loads,
 * and depd reads the caller's file from a stack trace to do so. A script's first stack trace costs V8 a second
 * parse of it for line numbers: for this bundle, some 7 ms of every start. In the bundle the logger is made by the
 * first deprecation warning instead (depd's file is the bundle's either way, so its messages do not change).
 */
const DEPRECATION_LOGGER = "var deprecate = require('depd')('http-errors')";
const DEPRECATION_LOGGER_USER = 'node_modules/http-errors/index.js';

/** Leading comments and a "use strict" directive: declarations go after them, or the directive would stop being one. */
const DIRECTIVE_PROLOGUE = /^(?:\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*(?:(['"])use strict\1;?)?/;
const SOURCE_MAPPING_URL = /^\/\/# sourceMappingURL=.*$/m;
const CREATE_REQUIRE = /^(?:const|let|var) require = createRequire\(import\.meta\.url\);?$/gm;

/**
 * Rewrites, on the way into the bundle, the few module-relative idioms that a single file would otherwise break.
 * Every rewrite keeps line numbers, so the source maps of the rewritten files still line up.
 */
function moduleScope(bundleDir) {
  return {
    name: 'module-scope',
    setup(build) {
      build.onLoad({ filter: /\.[cm]?js$/ }, async ({ path }) => {
        let source = await readFile(path, 'utf8');
        const file = relative(root, path).split(sep).join('/');
        let changed = false;

        // `__dirname` and `__filename` would be the bundle's; each module gets its own back (the chat page's
        // files are found from dist/web, swagger-ui's assets from their package).
        if (path !== SHIMS && /\b__(?:dirname|filename)\b/.test(source)) {
          const [prologue] = DIRECTIVE_PROLOGUE.exec(source);
          const toDir = JSON.stringify(relative(bundleDir, dirname(path)).split(sep).join('/'));
          const toFile = JSON.stringify(relative(bundleDir, path).split(sep).join('/'));
          const paths =
            `;var __dirname = require("node:path").join(__bundleDirname, ${toDir}), ` +
            `__filename = require("node:path").join(__bundleDirname, ${toFile});`;
          source = prologue + paths + source.slice(prologue.length);
          changed = true;
        }

        // ES modules that make a `require` with createRequire(import.meta.url) hide those requires from the
        // bundler, which would then load a second copy at run time; as plain `require` calls they are bundled.
        const withRequire = source.replace(CREATE_REQUIRE, '');
        if (withRequire !== source) {
          source = withRequire;
          changed = true;
        }

        // A package's own source map names sources that were not published with it (typeorm's even resolve into
        // this project's src/); its frames are better told by its .js files, which are there to read.
        if (file.startsWith('node_modules/')) {
          const withoutMap = source.replace(SOURCE_MAPPING_URL, '');
          if (withoutMap !== source) {
            source = withoutMap;
            changed = true;
          }
        }

        if (BUILT_ON_FIRST_USE.includes(file)) {
          source = onFirstUse(file, source, {
            marker: DATE_FORMATTER,
            constant: 'DATE_FORMATTER',
            what: 'builds its date formatter',
            replacement: 'const dateTimeFormatter = __formatterOnFirstUse(',
            helper:
              'function __formatterOnFirstUse(locales, options) { let formatter; ' +
              'return { format: (date) => (formatter ??= new Intl.DateTimeFormat(locales, options)).format(date) }; }',
          });
          changed = true;
        }

        if (file === DEPRECATION_LOGGER_USER) {
          source = onFirstUse(file, source, {
            marker: DEPRECATION_LOGGER,
            constant: 'DEPRECATION_LOGGER',
            what: 'makes its deprecation logger',
            replacement: "var deprecate = __deprecateOnFirstUse('http-errors')",
            helper:
              'function __deprecateOnFirstUse(namespace) { let deprecate; ' +
              "return (message) => (deprecate ??= require('depd')(namespace))(message); }",
          });
          changed = true;
        }

        const byName = LOADED_BY_NAME[file];
        if (byName) {
          const call = `import(${byName.argument})`;
          if (!source.includes(call)) {
            throw new Error(`${file} no longer contains ${call}: review LOADED_BY_NAME in scripts/bundle.js`);
          }
          const cases = byName.packages.map(
            (name) => `case ${JSON.stringify(name)}: return import(${JSON.stringify(name)});`,
          );
          // A function declaration at the end is hoisted, so no line moves.
          source = source.replaceAll(call, `__bundledImport(${byName.argument})`);
          source += `\nfunction __bundledImport(name) { switch (name) { ${cases.join(' ')} default: return import(name); } }\n`;
          changed = true;
        }
        return changed ? { contents: source, loader: 'js' } : undefined;
      });
    },
  };
}

/**
 * esbuild escapes non-ASCII characters in strings and names but leaves them in regular expressions and comments
 * (validator's alphabets, for one). A single one makes V8 hold the whole bundle's source as UTF-16, twice the
 * memory. As \uXXXX escapes they mean the same in a regular expression, a string or a comment; only the mapped
 * columns after them on the same line move.
 */
function asciiOnly(code) {
  return code.replace(/[^\0-\x7f]/g, (char) => {
    // Line terminators in JavaScript: escaped inside a comment, they would turn the next line into comment.
    if (char === '\u2028' || char === '\u2029') throw new Error('the bundle holds a raw U+2028 or U+2029');
    return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/**
 * esbuild's keepNames helper as it writes it, and a cheaper one of the same length put in its place (so that no
 * mapped column moves). esbuild calls `__name(fn, "name")` after every function declaration it may have renamed,
 * inner ones included, so on every call of their enclosing function: about 40 a request on the list route (fastify's
 * hook runners, helmet, passport, pino's redaction). Each `Object.defineProperty` took about 0.3 us and gave the
 * function an object shape of its own. Where the function already has that name, which is nearly always, setting it
 * again changes nothing, and the cheaper helper skips it.
 */
const NAME_HELPER = 'var __name=(target,value)=>__defProp(target,"name",{value,configurable:true})';
const CHEAP_NAME_HELPER = 'var __name=(t,v)=>t.name===v?t:__defProp(t,"name",{value:v,configurable:!0})';

function cheaperNames(code) {
  if (!code.includes(NAME_HELPER) || CHEAP_NAME_HELPER.length > NAME_HELPER.length) {
    throw new Error(
      "esbuild's __name helper is no longer written as expected: review cheaperNames in scripts/bundle.js",
    );
  }
  return code.replace(NAME_HELPER, CHEAP_NAME_HELPER.padEnd(NAME_HELPER.length));
}

/**
 * keepNames also wraps every function expression that took its name from where it stands (`const f = () => {}`,
 * `f = function () {}`, `{ f: () => {} }`, a class field) in `__name(() => {}, "f")`, which defines `name`
 * each time the expression is evaluated: for closures made per request (Nest's switchToHttp, class-validator,
 * pino-http, our own callbacks) about 30 times a request on the list route. Where that place gives the function
 * the same name without help, the call around it is blanked out with spaces, so no mapped column moves, and
 * JavaScript names the function as it would have without the bundle.
 */
function unwrapInferredNames(code) {
  const ast = acorn.parse(code, { ecmaVersion: 'latest', sourceType: 'script', allowReturnOutsideFunction: true });
  const wrapped = (node, name) =>
    name !== undefined &&
    name !== '__proto__' &&
    node?.type === 'CallExpression' &&
    node.callee.type === 'Identifier' &&
    node.callee.name === '__name' &&
    node.arguments.length === 2 &&
    (node.arguments[0].type === 'FunctionExpression' || node.arguments[0].type === 'ArrowFunctionExpression') &&
    !node.arguments[0].id &&
    node.arguments[1].type === 'Literal' &&
    node.arguments[1].value === name;
  const keyName = (node) =>
    node.computed
      ? undefined
      : node.key.type === 'Identifier'
        ? node.key.name
        : node.key.type === 'Literal'
          ? String(node.key.value)
          : undefined;
  const blanks = [];
  const visit = (node) => {
    let call;
    if (node.type === 'VariableDeclarator' && node.id.type === 'Identifier' && wrapped(node.init, node.id.name)) {
      call = node.init;
    } else if (
      node.type === 'Property' &&
      node.kind === 'init' &&
      !node.method &&
      !node.shorthand &&
      wrapped(node.value, keyName(node))
    ) {
      call = node.value;
    } else if (node.type === 'PropertyDefinition' && !node.static && wrapped(node.value, keyName(node))) {
      call = node.value;
    } else if (
      node.type === 'AssignmentExpression' &&
      node.operator === '=' &&
      node.left.type === 'Identifier' &&
      wrapped(node.right, node.left.name)
    ) {
      call = node.right;
    }
    if (call) {
      const fn = call.arguments[0];
      blanks.push([call.start, fn.start], [fn.end, call.end]);
    }
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) {
        for (const child of value) if (child && typeof child.type === 'string') visit(child);
      } else if (value && typeof value.type === 'string') {
        visit(value);
      }
    }
  };
  visit(ast);
  blanks.sort((a, b) => a[0] - b[0]);
  const parts = [];
  let at = 0;
  for (const [start, end] of blanks) {
    parts.push(code.slice(at, start), code.slice(start, end).replace(/[^\n]/g, ' '));
    at = end;
  }
  parts.push(code.slice(at));
  return parts.join('');
}

/**
 * Node 20 turns every mapping of a source map into an array of its own the first time it maps a stack trace: for
 * this bundle's 800,000, a pause of about a second and 130 MB more held from the first logged error on. The
 * dependencies' code keeps one mapping per line it came from (a stack frame still names the right file and
 * line, at that line's first column), our own code all of its own: about a quarter as many mappings.
 */
function lineLevelForPackages(json) {
  const map = JSON.parse(json);
  const isPackage = map.sources.map((source) => source.includes('node_modules/'));
  map.mappings = encode(
    decode(map.mappings).map((segments) => {
      const kept = [];
      for (const segment of segments) {
        const last = kept.at(-1);
        const sameLine =
          last && last.length > 1 && segment.length > 1 && last[1] === segment[1] && last[2] === segment[2];
        if (!(sameLine && isPackage[segment[1]])) kept.push(segment);
      }
      return kept;
    }),
  );
  return JSON.stringify(map);
}

/**
 * Replaces what a bundled package's file makes at load (`marker`) by `replacement`, which makes it at first use
 * through `helper`, a function declaration appended to the file: hoisted, so no line of the file moves.
 */
function onFirstUse(file, source, { marker, constant, what, replacement, helper }) {
  if (!source.includes(marker)) {
    throw new Error(`${file} no longer ${what} as before: review ${constant} in scripts/bundle.js`);
  }
  return `${source.replace(marker, replacement)}\n${helper}\n`;
}

async function bundle(entry) {
  const input = join(dist, `${entry}.js`);
  const head = await readFile(input, 'utf8');
  if (head.startsWith(ENTRY_MARK)) {
    throw new Error(`${relative(root, input)} is already a bundle entry: run \`npm run build\`, which compiles first`);
  }
  const bundleDir = dirname(input);
  const { outputFiles } = await esbuild.build({
    entryPoints: [{ in: input, out: `${entry}.bundle` }],
    outdir: dist,
    bundle: true,
    platform: 'node',
    target: 'node20.19',
    format: 'cjs',
    external: EXTERNAL,
    // As Node (20.19 and later) resolves a require: packages that ship ES modules only (file-type) export them
    // to require() under this condition.
    conditions: ['module-sync'],
    // Whitespace only. Node splits a file whose source map it loads into its lines: 230,000 lines cost about 15 MB
    // at start, a thousand long ones next to nothing. Names stay whole (readable frames even without the map);
    // minifying them as well saved no time and took more memory.
    minifyWhitespace: true,
    write: false,
    // Nest finds providers and Swagger names schemas by class name.
    keepNames: true,
    sourcemap: 'linked',
    // Stack traces need the mappings, not the sources' text, which would be most of the map Node reads at start.
    sourcesContent: false,
    inject: [SHIMS],
    // ES modules bundled into one CommonJS file have no import.meta of their own; what is left of its use
    // (optional packages looked up by name) resolves from the bundle's place, beside node_modules.
    define: { 'import.meta.url': '__bundleImportMetaUrl', 'import.meta.resolve': '__bundleImportMetaResolve' },
    plugins: [leaveOut(), sharedRequires(), moduleScope(bundleDir)],
    // The Swagger plugin writes `enum` twice into some DTOs' metadata (its own guess, then the decorator's);
    // the last one wins, in the bundle as under tsc.
    logOverride: { 'duplicate-object-key': 'silent' },
    logLevel: 'warning',
  });
  for (const file of outputFiles) {
    await writeFile(
      file.path,
      file.path.endsWith('.map')
        ? lineLevelForPackages(file.text)
        : cheaperNames(unwrapInferredNames(asciiOnly(file.text))),
    );
  }
  const bundleName = `${entry.split(sep).pop()}.bundle.js`;
  const loader = relative(dirname(input), join(dist, 'bundle-loader.js')).split(sep).join('/');
  await writeFile(
    input,
    `${ENTRY_MARK}
'use strict';
// Written by scripts/bundle.js: the bundle, loaded with a compile cache and source-mapped stack traces.
require(${JSON.stringify(loader.startsWith('.') ? loader : `./${loader}`)}).load(
  require('node:path').join(__dirname, ${JSON.stringify(bundleName)}),
);
`,
  );
  // tsc's map of the entry now describes nothing.
  await rm(`${input}.map`, { force: true });
}

async function main() {
  await copyFile(LOADER, join(dist, 'bundle-loader.js'));
  await Promise.all(ENTRIES.map(bundle));
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
