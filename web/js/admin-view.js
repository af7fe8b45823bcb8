// @ts-check
import { createResetLink, createUser, getUsageOverview, listUsers, turnOffUserMfa, updateUserAccess } from './api.js';
import { reloadAudit } from './admin-audit-view.js';
import { reloadQuotas } from './admin-quotas-view.js';
import { confirmDialog } from './dialogs.js';
import { byId, copyText, h, whileBusy } from './dom.js';
import { ApiError, describeError, SessionEndedError } from './errors.js';

/** The Admin dialog: the people with accounts (role, access, two-factor, reset links, new accounts), usage, quotas. */

/** @typedef {import('./api.js').AdminUser} AdminUser */
/** @typedef {import('./api.js').UsageLine} UsageLine */

const dialog = byId('admin-dialog', HTMLDialogElement);
const peopleRows = byId('admin-people-rows', HTMLTableSectionElement);
const peopleStatus = byId('admin-people-status', HTMLElement);
const peopleError = byId('admin-people-error', HTMLElement);
const peopleMore = byId('admin-people-more', HTMLButtonElement);
const linkBox = byId('admin-link', HTMLElement);
const linkText = byId('admin-link-text', HTMLElement);
const linkUrl = byId('admin-link-url', HTMLElement);
const addForm = byId('admin-add-form', HTMLFormElement);
const addEmail = byId('admin-add-email', HTMLInputElement);
const addName = byId('admin-add-name', HTMLInputElement);
const addPassword = byId('admin-add-password', HTMLInputElement);
const addRole = byId('admin-add-role', HTMLSelectElement);
const addError = byId('admin-add-error', HTMLElement);
const addSubmit = byId('admin-add-submit', HTMLButtonElement);
const usageForm = byId('admin-usage-form', HTMLFormElement);
const usageFrom = byId('admin-usage-from', HTMLInputElement);
const usageTo = byId('admin-usage-to', HTMLInputElement);
const usageGroup = byId('admin-usage-group', HTMLSelectElement);
const usageKey = byId('admin-usage-key', HTMLElement);
const usageRows = byId('admin-usage-rows', HTMLTableSectionElement);
const usageStatus = byId('admin-usage-status', HTMLElement);
const usageError = byId('admin-usage-error', HTMLElement);
const usageMore = byId('admin-usage-more', HTMLButtonElement);
const PAGE_SIZE = 50;
const DAY_MS = 86_400_000;

/** @type {string | null} */
let peopleCursor = null;
/** @type {string | null} */
let usageCursor = null;
/** What the lines shown were asked for: more of them continue that, whatever the form holds since. */
let usageQuery = { groupBy: /** @type {'user' | 'model' | 'day'} */ ('user'), from: '', to: '' };
/** The emails of the accounts listed, by id, for the audit log. */
/** @type {Map<string, string>} */
const emails = new Map();
/** @param {string} id */
const emailOf = (id) => emails.get(id);
/** The signed-in admin: their own row offers no way to lock themselves out. */
let selfId = '';

/** @param {{ userId: string }} options */
export async function openAdmin(options) {
  selfId = options.userId;
  linkBox.hidden = true;
  if (!dialog.open) dialog.showModal();
  if (!usageFrom.value || !usageTo.value) {
    const today = new Date();
    usageTo.value = today.toISOString().slice(0, 10);
    usageFrom.value = new Date(today.getTime() - 29 * DAY_MS).toISOString().slice(0, 10);
  }
  // The log names accounts by the emails of the people listed.
  await Promise.all([reloadPeople().then(() => reloadAudit(emailOf)), reloadUsage(), reloadQuotas()]);
}

export function closeAdmin() {
  if (dialog.open) dialog.close();
}

/** @param {unknown} failure @param {HTMLElement} where */
function show(failure, where) {
  if (!(failure instanceof SessionEndedError)) where.textContent = describeError(failure);
}

async function reloadPeople() {
  peopleRows.replaceChildren();
  peopleCursor = null;
  peopleError.textContent = '';
  peopleStatus.textContent = 'Loading people…';
  await loadPeople();
}

async function loadPeople() {
  try {
    const page = await listUsers({ limit: PAGE_SIZE, cursor: peopleCursor });
    peopleRows.append(...page.items.map(personRow));
    peopleCursor = page.nextCursor;
    peopleMore.hidden = !peopleCursor;
    peopleStatus.textContent = `${peopleRows.children.length}${peopleCursor ? ' or more' : ''} people have an account.`;
  } catch (failure) {
    peopleStatus.textContent = '';
    show(failure, peopleError);
  }
}

/** @param {AdminUser} user */
function personRow(user) {
  emails.set(user.id, user.email);
  const who = user.displayName && user.displayName !== user.email ? `${user.displayName} (${user.email})` : user.email;
  const row = h('tr', {});
  const render = (/** @type {AdminUser} */ current) => {
    const self = current.id === selfId;
    const role = h('select', { 'aria-label': `Role of ${current.email}`, disabled: self || undefined });
    role.append(
      h('option', { value: 'user', selected: current.role === 'user' || undefined }, 'Person'),
      h('option', { value: 'admin', selected: current.role === 'admin' || undefined }, 'Admin'),
    );
    role.addEventListener('change', () =>
      change(
        current,
        { role: /** @type {'user' | 'admin'} */ (role.value) },
        `${current.email} is now ${role.value === 'admin' ? 'an admin' : 'a person without admin rights'}.`,
      ),
    );
    const access = h(
      'button',
      {
        type: 'button',
        disabled: self || undefined,
        'aria-label': `${current.disabled ? 'Enable' : 'Disable'} ${current.email}`,
      },
      current.disabled ? 'Enable' : 'Disable',
    );
    access.addEventListener('click', () =>
      change(
        current,
        { disabled: !current.disabled },
        current.disabled
          ? `${current.email} can sign in again.`
          : `${current.email} is disabled and signed out everywhere.`,
      ),
    );
    const mfa = current.mfaEnabled
      ? h('button', { type: 'button', 'aria-label': `Turn off two-factor sign-in of ${current.email}` }, 'Turn off')
      : null;
    mfa?.addEventListener('click', () => void turnOffMfa(current, render));
    const link = h('button', { type: 'button', 'aria-label': `Reset link for ${current.email}` }, 'Reset link');
    link.addEventListener('click', () => void handOverLink(current, link));
    row.replaceChildren(
      h('td', {}, who, self ? h('strong', {}, ' (you)') : ''),
      h('td', {}, role),
      h('td', {}, current.mfaEnabled ? 'On ' : 'Off', mfa ?? ''),
      h('td', {}, current.disabled ? 'Disabled ' : 'Active ', access),
      h('td', {}, link),
    );
  };
  /**
   * @param {AdminUser} current
   * @param {{ role?: 'user' | 'admin', disabled?: boolean }} changes
   * @param {string} done
   */
  const change = async (current, changes, done) => {
    peopleError.textContent = '';
    try {
      render(await updateUserAccess(current.id, changes));
      peopleStatus.textContent = done;
    } catch (failure) {
      render(current);
      show(failure, peopleError);
    }
  };
  render(user);
  return row;
}

/** @param {AdminUser} user @param {(user: AdminUser) => void} render */
async function turnOffMfa(user, render) {
  const sure = await confirmDialog({
    title: 'Turn off two-factor sign-in?',
    text: `${user.email} will sign in with the password alone until they set it up again.`,
    confirmLabel: 'Turn off',
  });
  if (!sure) return;
  peopleError.textContent = '';
  try {
    await turnOffUserMfa(user.id);
    render({ ...user, mfaEnabled: false });
    peopleStatus.textContent = `Two-factor sign-in is off for ${user.email}.`;
  } catch (failure) {
    show(failure, peopleError);
  }
}

/** @param {AdminUser} user @param {HTMLButtonElement} button */
async function handOverLink(user, button) {
  peopleError.textContent = '';
  try {
    const link = await whileBusy(button, 'Making…', () => createResetLink(user.id));
    const until = new Date(link.expiresAt).toLocaleTimeString(undefined, { timeStyle: 'short' });
    linkText.textContent = `A password-reset link for ${user.email}, good once until ${until}. Hand it over privately:`;
    linkUrl.textContent = link.url;
    linkBox.hidden = false;
  } catch (failure) {
    show(failure, peopleError);
  }
}

byId('admin-link-copy', HTMLButtonElement).addEventListener('click', () => void copyText(linkUrl.textContent ?? ''));
peopleMore.addEventListener('click', () => whileBusy(peopleMore, 'Loading…', loadPeople));

addForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  addError.textContent = '';
  const email = addEmail.value.trim();
  if (!email) {
    addError.textContent = 'Enter the email of the new account.';
    addEmail.focus();
    return;
  }
  if (addPassword.value && addPassword.value.length < 8) {
    addError.textContent = 'A password has at least 8 characters; or leave it empty and hand over a reset link.';
    addPassword.focus();
    return;
  }
  /** @type {{ email: string, role: 'user' | 'admin', password?: string, displayName?: string }} */
  const body = { email, role: addRole.value === 'admin' ? 'admin' : 'user' };
  if (addPassword.value) body.password = addPassword.value;
  if (addName.value.trim()) body.displayName = addName.value.trim();
  try {
    const user = await whileBusy(addSubmit, 'Adding…', () => createUser(body));
    addForm.reset();
    peopleRows.append(personRow(user));
    peopleStatus.textContent = `Added ${user.email}.${body.password ? '' : ' Hand them a reset link to choose a password.'}`;
  } catch (failure) {
    addError.textContent =
      failure instanceof ApiError && failure.status === 409
        ? 'An account with this email already exists.'
        : describeError(failure);
  }
});

async function reloadUsage() {
  usageRows.replaceChildren();
  usageCursor = null;
  usageError.textContent = '';
  const group = /** @type {'user' | 'model' | 'day'} */ (usageGroup.value);
  usageQuery = { groupBy: group, from: usageFrom.value, to: usageTo.value };
  usageKey.textContent = group === 'user' ? 'Person' : group === 'model' ? 'Model' : 'Day';
  usageStatus.textContent = 'Loading usage…';
  await loadUsage();
}

async function loadUsage() {
  const { groupBy, from, to } = usageQuery;
  try {
    const page = await getUsageOverview({
      groupBy,
      from,
      to,
      limit: PAGE_SIZE,
      cursor: usageCursor,
    });
    usageRows.append(...page.items.map((line) => usageRow(line, groupBy)));
    usageCursor = page.nextCursor;
    usageMore.hidden = !usageCursor;
    const { requests, totalTokens } = page.totals;
    usageStatus.textContent =
      requests === 0
        ? 'No calls to the API in this period.'
        : `${requests} calls and ${totalTokens} tokens in this period.`;
  } catch (failure) {
    usageStatus.textContent = '';
    show(failure, usageError);
  }
}

/** @param {UsageLine} line @param {'user' | 'model' | 'day'} groupBy */
function usageRow(line, groupBy) {
  const key = groupBy === 'user' ? (line.email ?? 'deleted account') : groupBy === 'model' ? line.model : line.day;
  const number = (/** @type {number} */ value) => h('td', { class: 'number' }, value.toLocaleString());
  return h(
    'tr',
    {},
    h('td', {}, key ?? ''),
    number(line.requests),
    number(line.failed),
    number(line.promptTokens),
    number(line.completionTokens),
    h('td', { class: 'number' }, `${line.averageLatencyMs.toLocaleString()} ms`),
  );
}

usageForm.addEventListener('submit', (event) => {
  event.preventDefault();
  if (!usageFrom.value || !usageTo.value) {
    usageError.textContent = 'Choose the first and the last day.';
    return;
  }
  void whileBusy(byId('admin-usage-submit', HTMLButtonElement), 'Loading…', reloadUsage);
});
usageGroup.addEventListener('change', () => void reloadUsage());
usageMore.addEventListener('click', () => whileBusy(usageMore, 'Loading…', loadUsage));
byId('admin-close', HTMLButtonElement).addEventListener('click', closeAdmin);
