// @ts-check
import { Marked } from '../vendor/marked.js';
import DOMPurify from '../vendor/purify.js';

const marked = new Marked({
  gfm: true,
  breaks: true,
  renderer: {
    // HTML written in a message is shown as the text it is, as people pasting markup into a chat expect.
    html({ text }) {
      return escapeHtml(text);
    },
    // Images are shown as links: loading them would send requests wherever a message points.
    image({ href, text }) {
      const label = text || href;
      return `<a href="${escapeHtml(href)}">${escapeHtml(label)}</a>`;
    },
  },
});

// Every link opens in a new tab and tells the target nothing about this page.
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer nofollow');
  }
});

const PURIFY_OPTIONS = {
  // Script, event handlers and javascript: URLs are always removed. These go too: forms and inputs could
  // imitate the page, images would send requests, and style could cover the page with anything.
  FORBID_TAGS: ['style', 'img', 'form', 'input', 'button', 'textarea', 'select', 'option', 'video', 'audio'],
  FORBID_ATTR: ['style', 'class', 'id'],
};

/**
 * A message's Markdown as sanitised HTML nodes: nothing a message says can run script in the page. Markdown
 * itself makes no dangerous markup once raw HTML is escaped, but links can still carry javascript: URLs, and
 * the sanitiser is the one place that knows every such trick.
 * @param {string} text
 * @returns {DocumentFragment}
 */
export function renderMarkdown(text) {
  const html = /** @type {string} */ (marked.parse(text, { async: false }));
  return DOMPurify.sanitize(html, { ...PURIFY_OPTIONS, RETURN_DOM_FRAGMENT: true });
}

/** @param {string} text */
function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
