// @ts-check
import { deleteFile, getFile, getFileContent, uploadFile } from './api.js';
import { announce, showError, showNotice } from './alerts.js';
import { byId, h } from './dom.js';
import { describeError } from './errors.js';

/** @typedef {import('./state.js').StoredFile} StoredFile */

/**
 * A file on its way into the next message: uploaded as soon as it is chosen, so that a PDF's text is being read
 * while the question is typed.
 * @typedef {object} Pending
 * @property {string} name
 * @property {boolean} isImage
 * @property {'uploading' | 'processing' | 'ready' | 'failed'} status
 * @property {StoredFile | null} stored the server's record, once uploaded
 * @property {string | null} error
 * @property {string | null} preview an object URL of an image's own bytes, for its thumbnail
 * @property {boolean} removed
 */

/** What one message may carry (the server refuses more). */
const MAX_FILES = 10;
/** How often a file whose text is being read is asked about. */
const POLL_MS = 500;

const tray = byId('attachments', HTMLUListElement);
const picker = byId('attach-input', HTMLInputElement);
const attachButton = byId('attach', HTMLButtonElement);
const messageInput = byId('message-input', HTMLTextAreaElement);
const dropZone = byId('chat', HTMLElement);

/** @type {Pending[]} */
let pending = [];

attachButton.addEventListener('click', () => picker.click());
picker.addEventListener('change', () => {
  addFiles([...(picker.files ?? [])]);
  picker.value = '';
});

dropZone.addEventListener('dragover', (event) => {
  if (!event.dataTransfer?.types.includes('Files')) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = 'copy';
  dropZone.classList.add('is-dropping');
});
dropZone.addEventListener('dragleave', (event) => {
  if (!(event.relatedTarget instanceof Node && dropZone.contains(event.relatedTarget))) {
    dropZone.classList.remove('is-dropping');
  }
});
dropZone.addEventListener('drop', (event) => {
  dropZone.classList.remove('is-dropping');
  const files = [...(event.dataTransfer?.files ?? [])];
  if (files.length === 0) return;
  event.preventDefault();
  addFiles(files);
});

// A file dropped anywhere else on the page would be opened by the browser in the page's place, losing what was
// typed and the files waiting to be sent: refused instead.
window.addEventListener('dragover', (event) => {
  if (event.defaultPrevented || !event.dataTransfer?.types.includes('Files')) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = 'none';
});
window.addEventListener('drop', (event) => {
  if (event.dataTransfer?.types.includes('Files')) event.preventDefault();
});

// A pasted screenshot is attached; pasted text goes into the message box as usual.
messageInput.addEventListener('paste', (event) => {
  const images = [...(event.clipboardData?.files ?? [])].filter((file) => file.type.startsWith('image/'));
  if (images.length === 0) return;
  event.preventDefault();
  addFiles(images);
});

/**
 * Uploads each file and shows it in the tray above the message box.
 * @param {File[]} files
 */
export function addFiles(files) {
  const room = MAX_FILES - pending.length;
  if (files.length > room) showNotice(`A message can carry ${MAX_FILES} files at most.`);
  for (const file of files.slice(0, Math.max(room, 0))) {
    const isImage = file.type.startsWith('image/');
    /** @type {Pending} */
    const item = {
      name: file.name || (isImage ? 'pasted image' : 'file'),
      isImage,
      status: 'uploading',
      stored: null,
      error: null,
      preview: isImage ? URL.createObjectURL(file) : null,
      removed: false,
    };
    pending.push(item);
    void upload(item, file);
  }
  render();
}

/**
 * @param {Pending} item
 * @param {File} file
 */
async function upload(item, file) {
  try {
    item.stored = await uploadFile(file);
    if (item.removed) {
      void forget(item.stored.id);
      return;
    }
    while (item.stored.status === 'processing' && !item.removed) {
      settle(item);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      if (!item.removed) item.stored = await getFile(item.stored.id);
    }
    settle(item);
  } catch (error) {
    item.status = 'failed';
    item.error = describeError(error);
    render();
  }
}

/** @param {Pending} item */
function settle(item) {
  if (!item.stored || item.removed) return;
  const before = item.status;
  item.status = item.stored.status;
  item.error = item.stored.error ?? null;
  if (before === item.status) return;
  render();
  if (item.status === 'ready') announce(`${item.name} is attached.`);
  if (item.status === 'failed') announce(`${item.name} could not be read.`);
}

/**
 * Takes a file out of the tray; one that was uploaded is deleted from the server, as no message holds it.
 * @param {Pending} item
 */
function remove(item) {
  item.removed = true;
  pending = pending.filter((other) => other !== item);
  if (item.stored) void forget(item.stored.id);
  if (item.preview) URL.revokeObjectURL(item.preview);
  render();
  messageInput.focus();
}

/** @param {string} id */
async function forget(id) {
  try {
    await deleteFile(id);
  } catch {
    // Gone already, or the session ended: nothing to clean up that the person could act on.
  }
}

function render() {
  tray.hidden = pending.length === 0;
  tray.replaceChildren(...pending.map(chip));
}

/** @param {Pending} item */
function chip(item) {
  const remover = h('button', { type: 'button', class: 'tool', 'aria-label': `Remove ${item.name}` }, '×');
  remover.addEventListener('click', () => remove(item));
  return h(
    'li',
    { class: `attachment-chip is-${item.status}`, 'aria-label': item.name },
    item.preview
      ? h('img', { class: 'attachment-thumb', src: item.preview, alt: '' })
      : h('span', { class: 'attachment-kind', 'aria-hidden': 'true' }, 'DOC'),
    h('span', { class: 'attachment-name' }, item.name),
    h('span', { class: 'attachment-status' }, statusText(item)),
    remover,
  );
}

/** @param {Pending} item */
function statusText(item) {
  if (item.status === 'uploading') return 'Uploading…';
  if (item.status === 'processing') return 'Reading the text…';
  if (item.status === 'failed') return `Failed: ${item.error ?? 'the file could not be used'}`;
  return 'Ready';
}

/** Why the tray's files cannot go with a message yet; null when they can. */
export function attachmentsBlocked() {
  if (pending.some((item) => item.status === 'uploading' || item.status === 'processing')) {
    return 'Wait until the attached files are ready, then send.';
  }
  if (pending.some((item) => item.status === 'failed')) {
    return 'Remove the files that failed before sending.';
  }
  return null;
}

/**
 * Empties the tray into a message being sent: its files, and a way to put them back should the server refuse
 * the message.
 * @returns {{ files: StoredFile[], restore: () => void }}
 */
export function takeAttachments() {
  const taken = pending;
  pending = [];
  render();
  return {
    files: taken.flatMap((item) => (item.stored ? [item.stored] : [])),
    restore: () => {
      pending = [...taken, ...pending];
      render();
    },
  };
}

/** Forgets the tray (the person signed out); the uploaded files stay in their account. */
export function clearAttachments() {
  for (const item of pending) if (item.preview) URL.revokeObjectURL(item.preview);
  pending = [];
  render();
}

// Attachments of messages on show

/** Object URLs of files' bytes, fetched once a page. */
/** @type {Map<string, Promise<string>>} */
const contentUrls = new Map();

/** @param {string} id */
function contentUrlOf(id) {
  let url = contentUrls.get(id);
  if (!url) {
    url = getFileContent(id).then((blob) => URL.createObjectURL(blob));
    url.catch(() => contentUrls.delete(id));
    contentUrls.set(id, url);
  }
  return url;
}

/**
 * The files of a message: images as thumbnails that open full size, documents as buttons that download them.
 * @param {StoredFile[]} files
 */
export function attachmentList(files) {
  return h(
    'ul',
    { class: 'message-attachments', 'aria-label': 'Attachments' },
    ...files.map((file) => h('li', {}, file.kind === 'image' ? imageLink(file) : documentLink(file))),
  );
}

/** @param {StoredFile} file */
function imageLink(file) {
  const image = h('img', { class: 'attachment-image', alt: file.name });
  contentUrlOf(file.id).then(
    (url) => (image.src = url),
    () => image.replaceWith(h('span', { class: 'attachment-missing' }, `${file.name} (could not be loaded)`)),
  );
  const button = h('button', { type: 'button', class: 'attachment-open', 'aria-label': `Open ${file.name}` }, image);
  button.addEventListener('click', () => void open(file));
  return button;
}

/** @param {StoredFile} file */
function documentLink(file) {
  const button = h(
    'button',
    { type: 'button', class: 'attachment-file', 'aria-label': `Download ${file.name}` },
    h('span', { class: 'attachment-kind', 'aria-hidden': 'true' }, 'DOC'),
    file.name,
  );
  button.addEventListener('click', () => void download(file));
  return button;
}

/** @param {StoredFile} file */
async function open(file) {
  try {
    window.open(await contentUrlOf(file.id), '_blank');
  } catch (error) {
    showError(error);
  }
}

/** @param {StoredFile} file */
async function download(file) {
  try {
    const link = h('a', { href: await contentUrlOf(file.id), download: file.name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
  } catch (error) {
    showError(error);
  }
}
