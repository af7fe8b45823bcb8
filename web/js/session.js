// @ts-check
import { ApiError, errorFrom, networkError, SessionEndedError } from './errors.js';

/**
 * The signed-in session. The access token lives in memory only; the refresh token lives in an httpOnly cookie
 * that the page's scripts cannot read (the API's cookie mode, asked for with X-Refresh-Cookie), so a reload
 * resumes the session with one POST /auth/refresh and a script injected into the page could not steal it.
 */

/**
 * @typedef {{ id: string, email: string, displayName: string, role: string, mfaEnabled: boolean, createdAt: string }}
 *   User
 */
/** @typedef {{ user: User, accessToken: string, expiresIn: number }} AuthAnswer */

const COOKIE_MODE = { 'content-type': 'application/json', 'x-refresh-cookie': '1' };
/** Refresh a little before the access token expires (a quarter of its life, at most this) rather than let a request fail. */
const EARLY_REFRESH_MS = 30_000;

/** @type {{ user: User, accessToken: string, refreshAt: number } | null} */
let current = null;
/** @type {Promise<string> | null} */
let refreshing = null;
/** @type {Set<(message: string) => void>} */
const endListeners = new Set();

export const currentUser = () => current?.user ?? null;

/** Keeps what the server answered after a change to the signed-in person (their name), until the next refresh. */
export function updateCurrentUser(/** @type {User} */ user) {
  if (current?.user.id === user.id) current.user = user;
}

/** @param {(message: string) => void} listener called with what to tell the person when the session ends */
export function onSessionEnded(listener) {
  endListeners.add(listener);
}

/**
 * @param {string} path
 * @param {object} [body]
 * @returns {Promise<any>}
 */
async function authRequest(path, body = {}) {
  let response;
  try {
    response = await fetch(path, {
      method: 'POST',
      headers: COOKIE_MODE,
      body: JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch (error) {
    throw networkError(error);
  }
  if (!response.ok) throw await errorFrom(response);
  return response.status === 204 ? null : response.json();
}

/** @param {AuthAnswer} answer */
function accept(answer) {
  const lifetime = answer.expiresIn * 1000;
  const expiresAt = Date.now() + lifetime;
  current = {
    user: answer.user,
    accessToken: answer.accessToken,
    refreshAt: expiresAt - Math.min(EARLY_REFRESH_MS, lifetime / 4),
  };
  return current.user;
}

/**
 * Runs a cookie exchange under a lock shared by every tab of this origin. Two tabs refreshing with the same
 * cookie at once would look like a stolen token being replayed, and the server would sign the login out.
 * Browsers offer the lock only to secure contexts (HTTPS, or localhost); elsewhere tabs take their chances.
 * @template T
 * @param {() => Promise<T>} work
 * @returns {Promise<T>}
 */
function exclusively(work) {
  return navigator.locks ? navigator.locks.request('colloquy-refresh-cookie', work) : work();
}

/**
 * With two-factor sign-in on, the password only earns an mfaToken, to send with a code to completeSignIn.
 * @param {string} email @param {string} password
 * @returns {Promise<User | { mfaToken: string }>}
 */
export async function signIn(email, password) {
  const answer = await exclusively(() => authRequest('/auth/login', { email, password }));
  return answer.mfaRequired ? { mfaToken: String(answer.mfaToken) } : accept(answer);
}

/** @param {string} mfaToken @param {string} code a code from the authenticator app, or a backup code */
export async function completeSignIn(mfaToken, code) {
  return accept(await exclusively(() => authRequest('/auth/login/mfa', { mfaToken, code })));
}

/** @param {string} email @param {string} password @param {string} displayName */
export async function signUp(email, password, displayName) {
  const body = displayName ? { email, password, displayName } : { email, password };
  return accept(await exclusively(() => authRequest('/auth/register', body)));
}

/** Resumes the session of an earlier visit, if its cookie still works. */
export async function restore() {
  try {
    return accept(await exclusively(() => authRequest('/auth/refresh')));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

/** Ends the session on the server too; a session that had already ended counts as signed out. */
export async function signOut() {
  try {
    await exclusively(() => authRequest('/auth/logout'));
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) throw error;
  }
  current = null;
}

/** An access token that is good for a while yet, refreshed first when it is about to expire. */
export async function accessToken() {
  if (!current) throw new SessionEndedError(new ApiError({ status: 401, message: 'not signed in' }));
  if (Date.now() < current.refreshAt) return current.accessToken;
  return refreshAccessToken();
}

/** A new access token. Concurrent callers share one refresh; a refused one ends the session. */
export function refreshAccessToken() {
  refreshing ??= (async () => {
    try {
      accept(await exclusively(() => authRequest('/auth/refresh')));
      return /** @type {NonNullable<typeof current>} */ (current).accessToken;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) throw endSession(error);
      throw error;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/**
 * Ends the session in this page because the server said it is over (a refused refresh, a session ended
 * elsewhere, a disabled account): the listeners take the person to the sign-in form.
 * @param {ApiError} error
 */
export function endSession(error) {
  const wasSignedIn = current !== null;
  current = null;
  if (wasSignedIn) for (const listener of endListeners) listener(endMessage(error));
  return new SessionEndedError(error);
}

/** @param {ApiError} error */
function endMessage({ code, message }) {
  switch (code) {
    case 'SESSION_REVOKED':
      // The server says which: ended by someone, or past its lifetime (REFRESH_TTL) unused.
      return /expired/.test(message)
        ? 'Your sign-in has expired. Please sign in again.'
        : 'This session was ended, from this or another device. Please sign in again.';
    case 'ACCOUNT_DISABLED':
      return 'This account has been disabled.';
    default:
      return 'Your session has ended. Please sign in again.';
  }
}
