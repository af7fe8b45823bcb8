// @ts-check

/**
 * The element with this id, checked to be of the expected kind, so a renamed element fails loudly at start.
 * @template {HTMLElement} T
 * @param {string} id
 * @param {{ new (): T }} type
 * @returns {T}
 */
export function byId(id, type) {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
  return element;
}

/**
 * Creates an element with attributes and children. Text is always added as text, never parsed as HTML.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string | boolean | undefined>} [attributes]
 * @param {(Node | string)[]} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) element.setAttribute(name, '');
    else if (typeof value === 'string') element.setAttribute(name, value);
  }
  element.append(...children);
  return element;
}

/**
 * Marks a button busy while `work` runs: disabled, with another label, and aria-busy for assistive technology.
 * @template T
 * @param {HTMLButtonElement} button
 * @param {string} busyLabel
 * @param {() => Promise<T>} work
 * @returns {Promise<T>}
 */
export async function whileBusy(button, busyLabel, work) {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = busyLabel;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = label;
  }
}

/**
 * The clipboard API is there only in secure contexts (HTTPS, localhost); a server on the local network
 * reached over plain HTTP gets the older way.
 * @param {string} text
 */
export async function copyText(text) {
  if (navigator.clipboard) return navigator.clipboard.writeText(text);
  const scratch = h('textarea', { class: 'visually-hidden', 'aria-hidden': 'true', tabindex: '-1' });
  scratch.value = text;
  document.body.append(scratch);
  const focused = document.activeElement;
  scratch.select();
  const copied = document.execCommand('copy');
  scratch.remove();
  if (focused instanceof HTMLElement) focused.focus();
  if (!copied) throw new Error('the browser would not copy the text');
}
