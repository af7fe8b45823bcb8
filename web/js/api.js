// @ts-check
import { ApiError, errorFrom, isAbort, networkError } from './errors.js';
import { accessToken, endSession, refreshAccessToken } from './session.js';

/**
 * @typedef {object} RequestOptions
 * @property {string} [method]
 * @property {unknown} [body] sent as JSON
 * @property {FormData} [form] sent as multipart/form-data instead
 * @property {string} [accept]
 * @property {AbortSignal} [signal]
 * @property {Record<string, string>} [headers] more request headers
 */

/** 401 codes after which refreshing cannot help: the sign-in itself is over. */
const SIGN_IN_AGAIN = new Set(['SESSION_REVOKED', 'ACCOUNT_DISABLED']);
/**
 * 401 codes about the access token, which a refresh cures. Others are about what the person typed (a wrong
 * current password, a wrong code): sending it again would only count one more wrong guess.
 */
const REFRESH_CURES = new Set(['TOKEN_EXPIRED', 'INVALID_TOKEN', 'UNAUTHORIZED', '']);

/**
 * Calls the API as the signed-in user and answers with the Response once it is known to be a success. An
 * access token that has expired (or that the server no longer knows, after a restart) is refreshed once and the
 * request sent again, unseen by the person. A session that was ended goes straight to the sign-in form: a
 * refresh would be refused too, and the request is never tried a third time.
 * @param {string} path
 * @param {RequestOptions} [options]
 * @returns {Promise<Response>}
 */
export async function request(path, options = {}) {
  let response = await attempt(path, options, await accessToken());
  if (response.status === 401) {
    const refused = await errorFrom(response);
    if (SIGN_IN_AGAIN.has(refused.code ?? '')) throw endSession(refused);
    if (!REFRESH_CURES.has(refused.code ?? '')) throw refused;
    response = await attempt(path, options, await refreshAccessToken());
  }
  if (response.ok) return response;
  const error = await errorFrom(response);
  throw response.status === 401 && SIGN_IN_AGAIN.has(error.code ?? '') ? endSession(error) : error;
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
async function attempt(
  path,
  { method = 'GET', body, form, accept = 'application/json', signal, headers: more },
  token,
) {
  /** @type {Record<string, string>} */
  const headers = { ...more, authorization: `Bearer ${token}`, accept };
  if (body !== undefined) headers['content-type'] = 'application/json';
  try {
    return await fetch(path, {
      method,
      headers,
      // The browser writes a form's content type itself, with its boundary.
      body: form ?? (body === undefined ? undefined : JSON.stringify(body)),
      signal,
      credentials: 'same-origin',
    });
  } catch (error) {
    if (isAbort(error)) throw error;
    throw networkError(error);
  }
}

/**
 * Calls a route open to everyone (nothing about the signed-in person is sent), answering with the parsed JSON
 * body (null for 202 and 204).
 * @param {string} path
 * @param {{ method?: string, body?: unknown }} [options]
 * @returns {Promise<any>}
 */
async function publicApi(path, { method = 'GET', body } = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw networkError(error);
  }
  if (!response.ok) throw await errorFrom(response);
  return response.status === 202 || response.status === 204 ? null : response.json();
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

// The routes the page calls. Ids go into paths encoded, though the server only ever hands out UUIDs.

/** @typedef {import('./state.js').Conversation} Conversation */
/** @typedef {import('./state.js').Message} Message */
/** @typedef {import('./state.js').Model} Model */
/** @typedef {{ id: string, parentId: string | null, role: string, status: string, createdAt: string, preview: string }} TreeItem */
/** @template T @typedef {{ items: T[], nextCursor: string | null }} Page */

const conversationPath = (/** @type {string} */ id) => `/conversations/${encodeURIComponent(id)}`;
const messagePath = (/** @type {string} */ id, /** @type {string} */ messageId) =>
  `${conversationPath(id)}/messages/${encodeURIComponent(messageId)}`;

/** @returns {Promise<{ items: Model[] }>} */
export const listModels = () => api('/ai/models');

/**
 * Whether people may make their own accounts here, and the other ways to sign in.
 * @returns {Promise<{ registration: boolean, items: { id: string, label: string }[] }>}
 */
export const getAuthProviders = () => publicApi('/auth/providers');

/**
 * Asks for a password-reset link by mail; the same answer whether or not the account exists.
 * @param {string} email
 */
export const requestPasswordReset = (email) => publicApi('/auth/password/forgot', { method: 'POST', body: { email } });

/**
 * Sets a new password with the token of a reset link; every sign-in of the account ends.
 * @param {string} token
 * @param {string} newPassword
 */
export const resetPassword = (token, newPassword) =>
  publicApi('/auth/password/reset', { method: 'POST', body: { token, newPassword } });

/**
 * @param {{ limit: number, cursor?: string | null, archived: boolean, q: string }} params
 * @returns {Promise<Page<Conversation>>}
 */
export const listConversations = (params) => api(`/conversations${query(params)}`);

/**
 * @param {{ model?: string, systemPrompt?: string }} body
 * @returns {Promise<Conversation>}
 */
export const createConversation = (body) => api('/conversations', { method: 'POST', body });

/** @param {string} id @returns {Promise<Conversation>} */
export const getConversation = (id) => api(conversationPath(id));

/**
 * @param {string} id
 * @param {{ title?: string, model?: string, systemPrompt?: string | null, archived?: boolean }} body
 * @returns {Promise<Conversation>}
 */
export const updateConversation = (id, body) => api(conversationPath(id), { method: 'PATCH', body });

/** @param {string} id */
export const deleteConversation = (id) => api(conversationPath(id), { method: 'DELETE' });

/**
 * A page of the messages on one branch: from its leaf towards the root with `order: 'desc'`.
 * @param {string} id
 * @param {{ limit: number, cursor?: string | null, leafId?: string | null, order?: 'asc' | 'desc' }} params
 * @returns {Promise<Page<Message>>}
 */
export const listMessages = (id, params) => api(`${conversationPath(id)}/messages${query(params)}`);

/**
 * Sends a message and answers with the response whose body streams the answer as Server-Sent Events.
 * @param {string} id
 * @param {{ content: string, parentId?: string | null, fileIds?: string[] }} body
 * @param {AbortSignal} signal
 */
export const sendMessage = (id, body, signal) =>
  request(`${conversationPath(id)}/messages`, { method: 'POST', body, accept: 'text/event-stream', signal });

/**
 * Asks for another answer to a question (an answer's id stands for its question), streamed like sending.
 * @param {string} id
 * @param {string} messageId
 * @param {{ model?: string }} body
 * @param {AbortSignal} signal
 */
export const regenerateAnswer = (id, messageId, body, signal) =>
  request(`${messagePath(id, messageId)}/regenerate`, {
    method: 'POST',
    body,
    accept: 'text/event-stream',
    signal,
  });

/**
 * Stops an answer being generated, whichever tab or device started it; resolves once what had arrived is stored.
 * @param {string} id the conversation
 * @param {string} generationId
 */
export const cancelGeneration = async (id, generationId) => {
  // 202 with no body.
  await request(`${conversationPath(id)}/generations/${encodeURIComponent(generationId)}/cancel`, { method: 'POST' });
};

/**
 * The events of an answer being generated after event `lastEventId` (all of them from 0), then the live ones:
 * what a reload, another tab or a dropped connection follows the answer with.
 * @param {string} id the conversation
 * @param {string} generationId
 * @param {number} lastEventId
 * @param {AbortSignal} signal
 */
export const followGeneration = (id, generationId, lastEventId, signal) =>
  request(`${conversationPath(id)}/generations/${encodeURIComponent(generationId)}/events`, {
    accept: 'text/event-stream',
    headers: { 'last-event-id': String(lastEventId) },
    signal,
  });

/** Deletes a message and everything below it, on every branch. @param {string} id @param {string} messageId */
export const deleteMessage = (id, messageId) => api(messagePath(id, messageId), { method: 'DELETE' });

/**
 * Shows the branch through `messageId` from now on, on every device: its newest leaf becomes the current one.
 * @param {string} id
 * @param {string} messageId
 * @returns {Promise<Conversation>}
 */
export const setCurrentLeaf = (id, messageId) =>
  api(`${conversationPath(id)}/current-leaf`, { method: 'PUT', body: { messageId } });

/**
 * Every message of a conversation, without its text (a preview only): enough to find a message's siblings.
 * @param {string} id
 * @returns {Promise<{ currentLeafId: string | null, items: TreeItem[] }>}
 */
export const getTree = (id) => api(`${conversationPath(id)}/tree`);

/**
 * A new conversation holding a copy of the path from the root to `messageId`.
 * @param {string} id
 * @param {string} messageId
 * @returns {Promise<Conversation>}
 */
export const forkConversation = (id, messageId) =>
  api(`${conversationPath(id)}/fork`, { method: 'POST', body: { messageId } });

/**
 * @typedef {{ id: string, createdAt: string, lastUsedAt: string, ip: string | null, userAgent: string | null,
 *   current: boolean }} SignInSession
 */

/**
 * The signed-in user's sessions (sign-ins) that can still be used, newest first.
 * @param {{ limit: number, cursor?: string | null }} params
 * @returns {Promise<Page<SignInSession>>}
 */
export const listSessions = (params) => api(`/auth/sessions${query(params)}`);

/** Ends a session: its device has to sign in again. @param {string} id */
export const endSignInSession = (id) => api(`/auth/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' });

/** Ends every session but this page's. */
export const endOtherSessions = () => api('/auth/sessions', { method: 'DELETE' });

/** @returns {Promise<{ mfaEnabled: boolean }>} */
export const getMe = () => api('/auth/me');

/**
 * Starts setting up two-factor sign-in: a new secret, and its QR code as an image URL.
 * @param {string} password
 * @returns {Promise<{ secret: string, otpauthUrl: string, qrCodeSvg: string }>}
 */
export const startTotpSetup = (password) => api('/auth/mfa/totp', { method: 'POST', body: { password } });

/**
 * Turns two-factor sign-in on with a first code; answers the backup codes, which are never shown again.
 * @param {string} code
 * @returns {Promise<{ backupCodes: string[] }>}
 */
export const confirmTotpSetup = (code) => api('/auth/mfa/totp/confirm', { method: 'POST', body: { code } });

/** @param {string} password @param {string} code a code from the app, or a backup code */
export const disableTotp = (password, code) => api('/auth/mfa/totp', { method: 'DELETE', body: { password, code } });

/** @typedef {{ id: string, provider: string, email: string | null, createdAt: string }} Identity */

/**
 * The accounts at sign-in providers linked to this one.
 * @returns {Promise<Page<Identity>>}
 */
export const listIdentities = () => api('/users/me/identities?limit=100');

/** Unlinks a provider's account; refused (409) when it is the last way to sign in. @param {string} id */
export const unlinkIdentity = (id) => api(`/users/me/identities/${encodeURIComponent(id)}`, { method: 'DELETE' });

/**
 * Where the browser goes to sign in with a provider, or to link it to the signed-in account (the server knows
 * the account by the refresh cookie, which a navigation sends).
 * @param {string} providerId
 * @param {{ link?: boolean }} [options]
 */
export const providerStartUrl = (providerId, { link = false } = {}) =>
  `/auth/oidc/${encodeURIComponent(providerId)}/start${link ? '?link=1' : ''}`;

/**
 * Changes the name the person is shown as; the server trims it.
 * @param {string} displayName
 * @returns {Promise<import('./session.js').User>}
 */
export const updateDisplayName = (displayName) => api('/users/me', { method: 'PATCH', body: { displayName } });

/**
 * Changes the password; every sign-in of the account ends, this one too.
 * @param {string} currentPassword
 * @param {string} newPassword
 */
export const changePassword = (currentPassword, newPassword) =>
  api('/users/me/password', { method: 'POST', body: { currentPassword, newPassword } });

/**
 * Deletes the account with its conversations, messages, files and API keys; every sign-in of it ends.
 * @param {string} password
 */
export const deleteAccount = (password) => api('/users/me', { method: 'DELETE', body: { password } });

/** @typedef {{ id: string, email: string, displayName: string, role: 'user' | 'admin', disabled: boolean, mfaEnabled: boolean, createdAt: string }} AdminUser */

/**
 * Everyone with an account, oldest first (admins only).
 * @param {{ limit: number, cursor?: string | null }} params
 * @returns {Promise<Page<AdminUser>>}
 */
export const listUsers = (params) => api(`/users${query(params)}`);

/**
 * Makes a user an admin or not, or disables them (admins only); applies from their next request.
 * @param {string} id
 * @param {{ role?: 'user' | 'admin', disabled?: boolean }} changes
 * @returns {Promise<AdminUser>}
 */
export const updateUserAccess = (id, changes) =>
  api(`/users/${encodeURIComponent(id)}`, { method: 'PATCH', body: changes });

/**
 * A password-reset link to hand to a user, for servers without mail (admins only).
 * @param {string} id
 * @returns {Promise<{ url: string, expiresAt: string }>}
 */
export const createResetLink = (id) => api(`/users/${encodeURIComponent(id)}/password-reset-link`, { method: 'POST' });

/** Turns two-factor sign-in off for a user who lost their device (admins only). @param {string} id */
export const turnOffUserMfa = (id) => api(`/users/${encodeURIComponent(id)}/mfa`, { method: 'DELETE' });

/**
 * Makes an account (admins only), also while sign-up is closed.
 * @param {{ email: string, password?: string, displayName?: string, role: 'user' | 'admin' }} body
 * @returns {Promise<AdminUser>}
 */
export const createUser = (body) => api('/users', { method: 'POST', body });

/**
 * @typedef {{ userId?: string, email?: string | null, model?: string, day?: string, requests: number,
 *   failed: number, cancelled: number, promptTokens: number, completionTokens: number, totalTokens: number,
 *   averageLatencyMs: number }} UsageLine
 */

/**
 * Everyone's calls to the API summed per person, model or day (admins only).
 * @param {{ groupBy: 'user' | 'model' | 'day', from: string, to: string, limit: number, cursor?: string | null }} params
 * @returns {Promise<Page<UsageLine> & { totals: { requests: number, totalTokens: number } }>}
 */
export const getUsageOverview = (params) => api(`/admin/usage${query(params)}`);

/**
 * @typedef {{ window: 'day' | 'month', model: string | null, maxRequests: number | null, usedRequests: number,
 *   maxTokens: number | null, usedTokens: number, resetsAt: string }} MyQuota
 */

/** The quotas that bind the signed-in person, with what they used. @returns {Promise<{ items: MyQuota[] }>} */
export const getMyQuota = () => api('/users/me/quota');

/**
 * @typedef {{ id: string, scope: 'default' | 'user', userId: string | null, model: string | null,
 *   window: 'day' | 'month', maxRequests: number | null, maxTokens: number | null, createdAt: string }} QuotaPolicy
 */

/**
 * The quota policies, oldest first (admins only).
 * @param {{ limit: number, cursor?: string | null }} params
 * @returns {Promise<Page<QuotaPolicy>>}
 */
export const listQuotas = (params) => api(`/admin/quotas${query(params)}`);

/**
 * Sets a quota for everyone or one person (admins only).
 * @param {{ scope: 'default' | 'user', userId?: string, model?: string, window: 'day' | 'month',
 *   maxRequests?: number, maxTokens?: number }} body
 * @returns {Promise<QuotaPolicy>}
 */
export const createQuota = (body) => api('/admin/quotas', { method: 'POST', body });

/** @param {string} id */
export const deleteQuota = (id) => api(`/admin/quotas/${encodeURIComponent(id)}`, { method: 'DELETE' });

/**
 * @typedef {{ id: string, at: string, actorId: string | null, action: string, targetType: string | null,
 *   targetId: string | null, outcome: 'success' | 'failure', ip: string | null, userAgent: string | null,
 *   requestId: string | null, details: Record<string, string | number | boolean | null> | null }} AuditEvent
 */

/**
 * What people and admins did, newest first (admins only).
 * @param {{ action?: string, actorId?: string, from?: string, to?: string, limit: number, cursor?: string | null }} params
 * @returns {Promise<Page<AuditEvent>>}
 */
export const listAuditEvents = (params) => api(`/admin/audit${query(params)}`);

/** @typedef {import('./state.js').StoredFile} StoredFile */

/**
 * Uploads a file; it comes back `ready`, or `processing` while its text is read.
 * @param {File} file
 * @returns {Promise<StoredFile>}
 */
export const uploadFile = (file) => {
  const form = new FormData();
  form.append('file', file, file.name);
  return request('/files', { method: 'POST', form }).then((response) => response.json());
};

/** @param {string} id @returns {Promise<StoredFile>} */
export const getFile = (id) => api(`/files/${encodeURIComponent(id)}`);

/** @param {string} id */
export const deleteFile = (id) => api(`/files/${encodeURIComponent(id)}`, { method: 'DELETE' });

/**
 * A file's bytes, fetched with the session's token (an address alone would not carry it).
 * @param {string} id
 * @returns {Promise<Blob>}
 */
export const getFileContent = (id) =>
  request(`/files/${encodeURIComponent(id)}/content`, { accept: '*/*' }).then((response) => response.blob());

/**
 * @typedef {{ id: string, name: string, prefix: string, createdAt: string, lastUsedAt: string | null,
 *   expiresAt: string | null }} ApiKey
 */

/**
 * The signed-in person's API keys for the OpenAI-compatible routes, newest first (never the keys themselves).
 * @param {{ limit: number, cursor?: string | null }} params
 * @returns {Promise<Page<ApiKey>>}
 */
export const listApiKeys = (params) => api(`/users/me/api-keys${query(params)}`);

/**
 * Makes an API key; the answer holds the whole key (`key`), which is never shown again.
 * @param {{ name: string, expiresAt?: string }} body `expiresAt` an ISO date-time; never, when left out
 * @returns {Promise<Omit<ApiKey, 'lastUsedAt'> & { key: string }>}
 */
export const createApiKey = (body) => api('/users/me/api-keys', { method: 'POST', body });

/** Revokes an API key: it is refused from its next request. @param {string} id */
export const revokeApiKey = (id) => api(`/users/me/api-keys/${encodeURIComponent(id)}`, { method: 'DELETE' });

/**
 * @typedef {{ day: string, model: string, requests: number, failed: number, cancelled: number,
 *   promptTokens: number, completionTokens: number, totalTokens: number, averageLatencyMs: number }} UsageRow
 */

/**
 * @typedef {{ requests: number, failed: number, cancelled: number, promptTokens: number,
 *   completionTokens: number, totalTokens: number }} UsageTotals
 */

/**
 * The signed-in person's calls to the API per UTC day and model, oldest first; `totals` cover the whole range.
 * Days left out are the server's default (the last 30 days).
 * @param {{ from?: string, to?: string, limit: number, cursor?: string | null }} params days as YYYY-MM-DD
 * @returns {Promise<Page<UsageRow> & { from: string, to: string, totals: UsageTotals }>}
 */
export const getMyUsage = (params) => api(`/users/me/usage${query(params)}`);
