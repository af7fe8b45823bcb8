'use strict';
/**
 * Loads a bundle written by scripts/bundle.js; copied beside the bundles as dist/bundle-loader.js.
 *
 * Most of a start is V8 compiling the bundle's few megabytes: the top level, then every function the first time
 * it runs. Node 22.8+ keeps that work between runs (`module.enableCompileCache()`); on older Node the same is done
 * here with V8's code cache, written once the process has warmed up and read by every later start.
 *
 * A script compiled through `vm` gets no help from Node's source maps, so stack traces are mapped here instead,
 * lazily: the map is read the first time a stack trace passes through the bundle, not at every start.
 */
const { createHash } = require('node:crypto');
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { tmpdir } = require('node:os');
const { dirname, join, resolve } = require('node:path');
const { fileURLToPath } = require('node:url');
const { Script } = require('node:vm');

/** Long enough for the start-up path to have run (and so been compiled) before the cache is taken. */
const WARM_UP_MS = 1500;

function load(bundleFile) {
  if (typeof Module.enableCompileCache === 'function') {
    // Source maps must be on before the bundle compiles for Node to map its stack traces.
    process.setSourceMapsEnabled(true);
    Module.enableCompileCache();
    const exports = require(bundleFile);
    // Node writes its cache at exit; written after the warm-up as well, a crash does not lose it.
    setTimeout(() => Module.flushCompileCache?.(), WARM_UP_MS).unref();
    return exports;
  }
  return loadWithCodeCache(bundleFile);
}

/** colloquy-<bundle path>-<bundle build, Node version and flags>.bin: a rebuilt bundle replaces its old cache. */
function cacheFileFor(bundleFile) {
  const { size, mtimeMs } = statSync(bundleFile);
  const digest = (...parts) => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16);
  const dir = process.env.NODE_COMPILE_CACHE || join(tmpdir(), 'node-compile-cache');
  const prefix = `colloquy-${digest(bundleFile)}-`;
  const build = digest(size, mtimeMs, process.version, process.arch, process.execArgv.join(' '));
  return { dir, prefix, file: join(dir, `${prefix}${build}.bin`) };
}

function readOrNothing(file) {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

function loadWithCodeCache(bundleFile) {
  const cache = cacheFileFor(bundleFile);
  const cachedData = readOrNothing(cache.file);
  // The bundle is ASCII only (scripts/bundle.js sees to it), and Latin-1 is the cheaper decoding.
  const source = Module.wrap(readFileSync(bundleFile, 'latin1'));
  const script = new Script(source, { filename: bundleFile, cachedData });
  if (!cachedData || script.cachedDataRejected) keepCodeCacheLater(script, cache);
  installStackMapping(bundleFile);

  const bundleModule = new Module(bundleFile, module);
  bundleModule.filename = bundleFile;
  bundleModule.paths = Module._nodeModulePaths(dirname(bundleFile));
  bundleModule.loaded = true;
  const bundleRequire = Module.createRequire(bundleFile);
  script
    .runInThisContext()
    .call(bundleModule.exports, bundleModule.exports, bundleRequire, bundleModule, bundleFile, dirname(bundleFile));
  return bundleModule.exports;
}

/**
 * Written after the warm-up (or at exit, for a short CLI command), through a temporary file so that two processes
 * starting together never read half a cache. A cache that cannot be written costs the next start its speed only.
 */
function keepCodeCacheLater(script, { dir, prefix, file }) {
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    try {
      mkdirSync(dir, { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, script.createCachedData());
      renameSync(temporary, file);
      const older = readdirSync(dir).filter((name) => name.startsWith(prefix) && join(dir, name) !== file);
      for (const name of older) rmSync(join(dir, name), { force: true });
    } catch {
      // A read-only or full temp folder: every start compiles, as without a cache.
    }
  };
  setTimeout(write, WARM_UP_MS).unref();
  process.once('exit', write);
}

/** Stack frames in the bundle name the TypeScript source, line and column they were built from. */
function installStackMapping(bundleFile) {
  let sourceMap;
  let mapDir;
  const lookUp = (line, column) => {
    if (sourceMap === undefined) {
      const mapFile = `${bundleFile}.map`;
      const payload = readOrNothing(mapFile);
      sourceMap = payload ? new Module.SourceMap(JSON.parse(payload.toString('utf8'))) : null;
      mapDir = dirname(mapFile);
    }
    const entry = sourceMap?.findEntry(line - 1, column - 1);
    if (!entry?.originalSource) return undefined;
    const source = entry.originalSource.startsWith('file:')
      ? fileURLToPath(entry.originalSource)
      : resolve(mapDir, entry.originalSource);
    return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  };

  const describe = (frame) => {
    const text = frame.toString();
    const file = frame.getFileName();
    if (file !== bundleFile) return text;
    const line = frame.getLineNumber();
    const column = frame.getColumnNumber();
    const original = lookUp(line, column);
    return original ? text.replace(`${file}:${line}:${column}`, original) : text;
  };

  Error.prepareStackTrace = (error, frames) => {
    let header;
    try {
      header = Error.prototype.toString.call(error);
    } catch {
      header = '<error>';
    }
    return frames.length ? `${header}\n    at ${frames.map(describe).join('\n    at ')}` : header;
  };
}

module.exports = { load };
