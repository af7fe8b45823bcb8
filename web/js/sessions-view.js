// @ts-check
import { endOtherSessions, endSignInSession, listSessions } from './api.js';
import { byId, h, whileBusy } from './dom.js';
import { describeError, SessionEndedError } from './errors.js';

/** @typedef {import('./api.js').SignInSession} SignInSession */

const list = byId('sessions-list', HTMLUListElement);
const status = byId('sessions-status', HTMLElement);
const moreButton = byId('sessions-more', HTMLButtonElement);
const endOthersButton = byId('sessions-end-others', HTMLButtonElement);
const PAGE_SIZE = 20;

/** @type {string | null} */
let nextCursor = null;

/** Shows where the account is signed in, to end a session left on a lost or shared device. */
export async function reloadSessions() {
  list.replaceChildren();
  nextCursor = null;
  status.textContent = 'Loading sessions…';
  await loadPage();
}

async function loadPage() {
  try {
    const page = await listSessions({ limit: PAGE_SIZE, cursor: nextCursor });
    list.append(...page.items.map(item));
    nextCursor = page.nextCursor;
    moreButton.hidden = !nextCursor;
    describeList();
  } catch (error) {
    failed(error);
  }
}

function describeList() {
  const others = list.querySelectorAll('button').length;
  endOthersButton.disabled = others === 0 && !nextCursor;
  status.textContent =
    others === 0 && !nextCursor
      ? 'You are signed in on this device only.'
      : `Signed in on ${list.children.length}${nextCursor ? ' or more' : ''} devices or browsers.`;
}

/** @param {unknown} error */
function failed(error) {
  // The page is already back at the sign-in form: nothing here applies any more.
  if (!(error instanceof SessionEndedError)) status.textContent = describeError(error);
}

/** @param {SignInSession} session */
function item(session) {
  const name = clientName(session.userAgent);
  const where = session.ip ?? 'unknown address';
  const details = `${where} · signed in ${when(session.createdAt)} · last used ${when(session.lastUsedAt)}`;
  const text = h(
    'div',
    { class: 'session-text' },
    h(
      'span',
      { class: 'session-name', title: session.userAgent ?? undefined },
      name,
      session.current ? h('strong', {}, ' (this device)') : '',
    ),
    h('span', { class: 'hint' }, details),
  );
  const row = h('li', { class: 'session' }, text);
  if (!session.current) {
    const end = h('button', { type: 'button', 'aria-label': `End session: ${name}, ${where}` }, 'End');
    end.addEventListener('click', async () => {
      try {
        await whileBusy(end, 'Ending…', () => endSignInSession(session.id));
        row.remove();
        describeList();
        status.textContent = `Ended the session of ${name}. ${status.textContent}`;
      } catch (error) {
        failed(error);
      }
    });
    row.append(end);
  }
  return row;
}

/**
 * A short name for a browser from its User-Agent, such as "Firefox on Linux"; the whole header is its title.
 * @param {string | null} userAgent
 */
export function clientName(userAgent) {
  if (!userAgent) return 'Unknown browser';
  const browser = [
    ['Edg/', 'Edge'],
    ['OPR/', 'Opera'],
    ['Firefox/', 'Firefox'],
    ['Chrome/', 'Chrome'],
    ['Safari/', 'Safari'],
  ].find(([token]) => userAgent.includes(token))?.[1];
  const system = [
    ['Windows', 'Windows'],
    ['Android', 'Android'],
    ['iPhone', 'iOS'],
    ['iPad', 'iPadOS'],
    ['Mac OS X', 'macOS'],
    ['CrOS', 'ChromeOS'],
    ['Linux', 'Linux'],
  ].find(([token]) => userAgent.includes(token))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? (userAgent.length > 40 ? `${userAgent.slice(0, 40)}…` : userAgent);
}

/** @param {string} iso */
const when = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

moreButton.addEventListener('click', () => whileBusy(moreButton, 'Loading…', loadPage));

endOthersButton.addEventListener('click', async () => {
  try {
    await whileBusy(endOthersButton, 'Ending…', endOtherSessions);
    await reloadSessions();
    status.textContent = `Ended every other session. ${status.textContent}`;
  } catch (error) {
    failed(error);
  }
});
