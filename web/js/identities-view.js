// @ts-check
import { getAuthProviders, listIdentities, providerStartUrl, unlinkIdentity } from './api.js';
import { byId, h, whileBusy } from './dom.js';
import { ApiError, describeError, SessionEndedError } from './errors.js';

/** The "Sign-in providers" part of the Account dialog: the linked accounts, unlinking one, linking another. */

/** @typedef {import('./api.js').Identity} Identity */

const section = byId('identities-heading', HTMLElement).closest('section');
const status = byId('identities-status', HTMLElement);
const error = byId('identities-error', HTMLElement);
const list = byId('identities-list', HTMLUListElement);
const linkBox = byId('identities-link', HTMLElement);

/** @type {Map<string, string>} provider id → label, as the server names them */
let labels = new Map();

/** @param {string} providerId */
export const providerLabel = (providerId) => labels.get(providerId) ?? providerId;

/** Shows the linked providers and a link button per configured provider; hidden when the server has none. */
export async function reloadIdentities() {
  error.textContent = '';
  try {
    const providers = await getAuthProviders();
    labels = new Map(providers.items.map((provider) => [provider.id, provider.label]));
    const linked = providers.items.length > 0 ? (await listIdentities()).items : [];
    if (section) section.hidden = providers.items.length === 0 && linked.length === 0;
    list.replaceChildren(...linked.map(item));
    describe(linked.length);
    linkBox.replaceChildren(
      ...providers.items.map((provider) =>
        h('a', { href: providerStartUrl(provider.id, { link: true }) }, `Link ${provider.label}`),
      ),
    );
  } catch (failure) {
    if (!(failure instanceof SessionEndedError)) error.textContent = describeError(failure);
  }
}

/** @param {number} count */
function describe(count) {
  status.textContent =
    count === 0
      ? 'No provider is linked: you sign in with your email and password.'
      : `You can sign in with ${count === 1 ? 'this provider' : 'these providers'}, without your password.`;
}

/** @param {Identity} identity */
function item(identity) {
  const label = providerLabel(identity.provider);
  const added = new Date(identity.createdAt).toLocaleDateString(undefined, { dateStyle: 'medium' });
  const unlink = h('button', { type: 'button', 'aria-label': `Unlink ${label}` }, 'Unlink');
  const row = h(
    'li',
    { class: 'identity' },
    h('span', {}, h('strong', {}, label), identity.email ? ` · ${identity.email}` : '', ` · linked ${added}`),
    unlink,
  );
  unlink.addEventListener('click', async () => {
    error.textContent = '';
    try {
      await whileBusy(unlink, 'Unlinking…', () => unlinkIdentity(identity.id));
      row.remove();
      describe(list.children.length);
      status.textContent = `Unlinked ${label}. ${status.textContent}`;
    } catch (failure) {
      if (failure instanceof SessionEndedError) return;
      error.textContent =
        failure instanceof ApiError && failure.status === 409
          ? `${label} is your only way to sign in. Set a password first (“Forgot password?” on the sign-in ` +
            'screen mails you a link) or link another provider.'
          : describeError(failure);
    }
  });
  return row;
}
