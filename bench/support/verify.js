'use strict';
/**
 * Access-token verification for the hand-written floor, with the same library and options as the app, so that
 * the floor costs what the route's own work costs. The choice is read from the built app (dist/auth and
 * dist/config): whichever of these it loads is used. BENCH_JWT_VERIFIER=jsonwebtoken|fast-jwt|jose picks one.
 *
 * - jsonwebtoken: what passport-jwt and @nestjs/jwt call; HS256 only, expiry checked; the secret as a string,
 *   or as a KeyObject when the app makes one (createSecretKey).
 * - fast-jwt: createVerifier with the key and HS256 only (and a cache when the app's code asks for one).
 * - jose: jwtVerify with the secret as bytes and HS256 only.
 */
const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { TextEncoder } = require('node:util');
const { ROOT } = require('./database');

/** The built code that sets up token verification: the auth module and the configuration it reads its key from. */
function appSources() {
  const files = [];
  const walk = (path) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.js')) files.push(readFileSync(full, 'utf8'));
    }
  };
  for (const dir of ['auth', 'config']) walk(join(ROOT, 'dist', dir));
  return files.join('\n');
}

/** Which library the app verifies access tokens with, and whether it caches verified tokens (fast-jwt). */
function appVerifier() {
  if (process.env.BENCH_JWT_VERIFIER) return { library: process.env.BENCH_JWT_VERIFIER, cache: false };
  const source = appSources();
  if (/require\("fast-jwt"\)/.test(source)) {
    return { library: 'fast-jwt', cache: /createVerifier\([^)]*cache\s*:/s.test(source) };
  }
  if (/require\("jose"\)/.test(source)) return { library: 'jose', cache: false };
  // A KeyObject made once spares jsonwebtoken from trying (and failing) to parse the string as a PEM key.
  return { library: 'jsonwebtoken', cache: false, keyObject: /\bcreateSecretKey\b/.test(source) };
}

/** Answers `verify(token) -> payload | Promise<payload>`; throws (or rejects) on a bad token. */
function createVerify(secret) {
  const { library, cache, keyObject } = appVerifier();
  let verify;
  if (library === 'fast-jwt') {
    const { createVerifier } = require(require.resolve('fast-jwt', { paths: [ROOT] }));
    verify = createVerifier({ key: secret, algorithms: ['HS256'], ...(cache && { cache: true }) });
  } else if (library === 'jose') {
    const { jwtVerify } = require(require.resolve('jose', { paths: [ROOT] }));
    const key = new TextEncoder().encode(secret);
    verify = async (token) => (await jwtVerify(token, key, { algorithms: ['HS256'] })).payload;
  } else {
    const jwt = require(require.resolve('jsonwebtoken', { paths: [ROOT] }));
    const key = keyObject ? require('node:crypto').createSecretKey(require('node:buffer').Buffer.from(secret)) : secret;
    verify = (token) => jwt.verify(token, key, { algorithms: ['HS256'] });
  }
  const details = [cache && 'cached', keyObject && 'KeyObject secret'].filter(Boolean);
  return { verify, library: details.length ? `${library} (${details.join(', ')})` : library };
}

module.exports = { createVerify, appVerifier };
