// @ts-check
import { ApiError, errorFrom, isAbort, networkError } from './errors.js';
import { accessToken, refreshAccessToken } from './session.js';

/**
 * @typedef {object} RequestOptions
 * @property {string} [method]
 * @property {unknown} [body] sent as JSON
 * @property {string} [accept]
 * @property {AbortSignal} [signal]
 */

/**
 * Calls the API as the signed-in user and answers with the Response once it is known to be a success. An
 * access token that the server refuses is refreshed once and the request sent again, unseen by the person.
 * @param {string} path
 * @param {RequestOptions} [options]
 * @returns {Promise<Response>}
 */
export async function request(path, options = {}) {
  let response = await attempt(path, options, await accessToken());
  if (response.status === 401) response = await attempt(path, options, await refreshAccessToken());
  if (!response.ok) throw await errorFrom(response);
  return response;
}

/**
 * Like request, answering with the parsed JSON body (null for 204).
 * @param {string} path
 * @param {RequestOptions} [options]
 * @returns {Promise<any>}
 */
export async function api(path, options = {}) {
  const response = await request(path, options);
  return response.status === 204 ? null : response.json();
}

/**
 * @param {string} path
 * @param {RequestOptions} options
 * @param {string} token
 */
async function attempt(path, { method = 'GET', body, accept = 'application/json', signal }, token) {
  /** @type {Record<string, string>} */
  const headers = { authorization: `Bearer ${token}`, accept };
  if (body !== undefined) headers['content-type'] = 'application/json';
  try {
    return await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      credentials: 'same-origin',
    });
  } catch (error) {
    if (isAbort(error)) throw error;
    throw networkError(error);
  }
}

/**
 * Builds a query string, leaving out empty values.
 * @param {Record<string, string | number | boolean | null | undefined>} params
 */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export { ApiError };
