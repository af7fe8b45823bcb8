// @ts-check

/** A failed API request: an HTTP error answer, or no answer at all (`network`). */
export class ApiError extends Error {
  /**
   * @param {{ status: number, message: string, code?: string, retryAfter?: number, network?: boolean,
   *   resetsAt?: string }} init
   */
  constructor(init) {
    super(init.message);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.retryAfter = init.retryAfter;
    this.network = init.network ?? false;
    /** A spent quota's next start (QUOTA_EXCEEDED). */
    this.resetsAt = init.resetsAt;
  }
}

/** Thrown by requests made after the session ended; the page is already back at the sign-in form. */
export class SessionEndedError extends ApiError {
  /** @param {ApiError} cause */
  constructor(cause) {
    super({ status: 401, message: cause.message, code: cause.code });
    this.name = 'SessionEndedError';
  }
}

/**
 * The API's error body as an ApiError.
 * @param {Response} response
 * @returns {Promise<ApiError>}
 */
export async function errorFrom(response) {
  /** @type {{ message?: string | string[], code?: string, resetsAt?: string }} */
  let body = {};
  try {
    body = await response.json();
  } catch {
    // Not JSON: a proxy's error page, for instance. The status is all there is to say.
  }
  const message = Array.isArray(body.message) ? body.message.join('; ') : body.message;
  return new ApiError({
    status: response.status,
    code: body.code,
    message: message || response.statusText || `HTTP ${response.status}`,
    retryAfter: retryAfterSeconds(response.headers.get('retry-after')),
    resetsAt: body.resetsAt,
  });
}

/** @param {unknown} cause */
export function networkError(cause) {
  return new ApiError({
    status: 0,
    network: true,
    message: cause instanceof Error ? cause.message : 'network error',
  });
}

/**
 * @param {string | null} value seconds, or an HTTP date
 * @returns {number | undefined}
 */
function retryAfterSeconds(value) {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** @param {unknown} error */
export function isAbort(error) {
  return error instanceof DOMException && error.name === 'AbortError';
}

/** What each kind of 429 says was too much; a plain rate limit is "Too many requests." */
/** @type {Record<string, string>} */
const TOO_MANY = {
  TOO_MANY_LOGIN_ATTEMPTS: 'Too many failed sign-ins.',
  TOO_MANY_MFA_CODES: 'Too many wrong codes.',
  TOO_MANY_PASSWORD_ATTEMPTS: 'Too many wrong passwords.',
  TOO_MANY_REGISTRATIONS: 'Too many new accounts from this network.',
  TOO_MANY_PASSWORD_RESETS: 'Too many password reset requests.',
  TOO_MANY_AUTH_FAILURES: 'Too many refused sign-ins from this network.',
};

/**
 * A wait in words: seconds up to a minute and a half, then whole minutes (rounded up), then hours and minutes.
 * @param {number} seconds
 */
export function duration(seconds) {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 120) return `${minutes} minutes`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours} hours` : `${hours} hours ${rest} minute${rest === 1 ? '' : 's'}`;
}

/**
 * What to tell the person about a failed request.
 * @param {unknown} error
 * @returns {string}
 */
export function describeError(error) {
  if (!(error instanceof ApiError)) {
    return `Something went wrong in the page: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (error.network) return 'Cannot reach the server. Check your connection and try again.';
  if (error.code === 'QUOTA_EXCEEDED') {
    const when = error.resetsAt ? ` It resets on ${new Date(error.resetsAt).toLocaleString()}.` : '';
    // Tokens are left, but fewer than this answer may use (the server's message begins so).
    if (/^this call may use/.test(error.message)) {
      return `Your quota has fewer tokens left than this answer may use.${when} See Account for what you have left.`;
    }
    return `You have used up your quota for the models.${when} See Account for what you have left.`;
  }
  if (error.status === 429) {
    const wait = error.retryAfter;
    const cause = TOO_MANY[error.code ?? ''] ?? 'Too many requests.';
    return wait === undefined
      ? `${cause} Please wait a moment and try again.`
      : `${cause} Please wait ${duration(wait)} and try again.`;
  }
  if (error.status >= 500) {
    const detail = error.code && error.code !== 'INTERNAL_ERROR' ? `: ${error.message}` : '';
    return `The server could not complete the request (error ${error.status}${detail}). Please try again.`;
  }
  return error.message;
}
