import type { ChatMessage, ContentPart, ImageMediaType, TextChatMessage } from '../ai/ai-provider';
import type { StoredFile } from '../files/stored-file.entity';
import type { MessageRole } from './entities/message.entity';

/**
 * Characters of attached documents' text sent with one request, over all its messages: newer messages' documents
 * first, in their order; a document cut short (or left out) says so to the model where it was cut.
 */
export const DOCUMENT_BUDGET_CHARS = 100_000;

/**
 * The characters of documents one request to a model with this budget may bring: DOCUMENT_BUDGET_CHARS, or half
 * of a smaller model's budget, so that the question and some history still fit beside them.
 */
export function documentBudgetChars(budgetTokens: number): number {
  return Math.min(DOCUMENT_BUDGET_CHARS, Math.floor((budgetTokens / 2) * 3.5));
}

/** A message as a prompt is built from it: its text and, for a user message, its attached files. */
export interface PromptSource {
  role: MessageRole;
  content: string;
  attachments?: StoredFile[];
}

/** An image attached to a message of the prompt, for a provider that takes image parts. */
export interface PromptImage {
  fileId: string;
  name: string;
  mimeType: string;
  /** Its bytes. */
  size: number;
}

/**
 * A prompt: the messages as text, and beside each of them (same index) the images attached to it, which
 * `withImages` turns into image parts once their bytes are read.
 */
export interface Prompt {
  messages: TextChatMessage[];
  images: PromptImage[][];
}

/** The text read of each attached document (by the file), at most what `allotDocumentText` allotted it. */
export type DocumentTexts = Map<StoredFile, string>;

/** A rough count that errs high (about 4 characters a token for English, plus per-message framing). */
export function estimateTokens(text: string): number {
  return tokensForLength(text.length);
}

function tokensForLength(length: number): number {
  return Math.ceil(length / 3.5) + 4;
}

/**
 * How much history fits a prompt, decided one message at a time from the newest back, on the message's role
 * and length alone: so the same rule that builds the prompt can first choose which texts are worth reading.
 */
export class HistoryBudget {
  private remaining: number;
  private kept = 0;

  constructor(systemPrompt: string | null, budgetTokens: number) {
    this.remaining = budgetTokens - (systemPrompt ? estimateTokens(systemPrompt) : 0);
  }

  /**
   * Takes the next older message. False when it does not fit: it and everything older are left out. The
   * newest message always fits. Answers that failed with no text cost nothing: they are left out of prompts.
   */
  admit(message: { role: MessageRole; length: number }): boolean {
    if (message.role !== 'user' && message.length === 0) return true;
    const cost = tokensForLength(message.length);
    if (this.kept > 0 && cost > this.remaining) return false;
    this.remaining -= cost;
    this.kept += 1;
    return true;
  }
}

/**
 * The messages sent to the model: the system prompt first, then as much of the history as fits the budget,
 * dropping the oldest first (see HistoryBudget).
 */
export function buildPrompt(
  systemPrompt: string | null,
  history: PromptSource[],
  budgetTokens: number,
): TextChatMessage[] {
  return assemblePrompt(systemPrompt, history, budgetTokens, new Map()).messages;
}

/**
 * Like buildPrompt, with attachments: each document's text (from `texts`, cut as allotted) goes before its
 * message's own text, and each image is listed beside its message in `images`.
 */
export function assemblePrompt(
  systemPrompt: string | null,
  history: PromptSource[],
  budgetTokens: number,
  texts: DocumentTexts,
): Prompt {
  const budget = new HistoryBudget(systemPrompt, budgetTokens);
  const documentBudget = documentBudgetChars(budgetTokens);
  const kept: { message: TextChatMessage; images: PromptImage[] }[] = [];
  for (let i = history.length - 1; i >= 0; i--) {
    const { role, content, attachments = [] } = history[i];
    const text = withDocuments(content, attachments, texts, documentBudget);
    // A message's documents count with it: the model's context has to hold them too.
    if (!budget.admit({ role, length: text.length })) break;
    if (role === 'user' || content.length > 0) {
      kept.push({
        message: { role, content: text },
        images: attachments
          .filter((file) => file.kind === 'image')
          .map((file) => ({ fileId: file.id, name: file.name, mimeType: file.mimeType, size: file.size })),
      });
    }
  }
  // Some providers (Anthropic) require the conversation to start with a user turn.
  while (kept.length > 1 && kept[kept.length - 1].message.role !== 'user') kept.pop();
  kept.reverse();
  const system = systemPrompt ? [{ message: { role: 'system' as const, content: systemPrompt }, images: [] }] : [];
  const turns = [...system, ...kept];
  return { messages: turns.map((turn) => turn.message), images: turns.map((turn) => turn.images) };
}

/**
 * How many characters of each attached document fit the budget (see documentBudgetChars): the newest message's
 * documents first, each in its order, as much of each as is left. Decided from the stored lengths, before any text
 * is read.
 */
export function allotDocumentText(
  history: PromptSource[],
  budgetChars = DOCUMENT_BUDGET_CHARS,
): Map<StoredFile, number> {
  const allotted = new Map<StoredFile, number>();
  let left = budgetChars;
  for (let i = history.length - 1; i >= 0; i--) {
    for (const file of history[i].attachments ?? []) {
      if (file.kind !== 'document') continue;
      const take = Math.min(file.textChars ?? 0, left);
      allotted.set(file, take);
      left -= take;
    }
  }
  return allotted;
}

function withDocuments(content: string, attachments: StoredFile[], texts: DocumentTexts, budgetChars: number): string {
  const documents = attachments.filter((file) => file.kind === 'document');
  if (documents.length === 0) return content;
  const parts = documents.map((file) => {
    const text = texts.get(file) ?? '';
    const total = file.textChars ?? 0;
    const note =
      text.length >= total
        ? ''
        : text.length === 0
          ? `[Left out: attached documents may bring ${budgetChars} characters to one request, and ` +
            'newer ones used them.]'
          : `\n[Cut here: ${text.length} of the document's ${total} characters are included; attached documents ` +
            `may bring ${budgetChars} characters to one request.]`;
    return `<document name="${file.name}" type="${file.mimeType}">\n${text}${note}\n</document>`;
  });
  return `${parts.join('\n\n')}\n\n${content}`;
}

/**
 * The prompt as the AI port takes it: a turn with images becomes its text followed by one image part each, from
 * `data` (base64 bytes by file id). For a model that cannot see images (`data` null) each image is named in the
 * text instead, so that the model can say it cannot see it rather than answer as if nothing was attached.
 */
export function withImages(
  prompt: Prompt,
  data: Map<string, string> | null,
  maxImageBytes: number | null = null,
): ChatMessage[] {
  return prompt.messages.map((message, i) => {
    const images = prompt.images[i];
    if (images.length === 0) return message;
    if (!data) {
      const names = images.map((image) => `[Attached image "${image.name}": this model cannot see images.]`);
      return { ...message, content: `${names.join('\n')}\n\n${message.content}` };
    }
    // Sent whole, an image over the provider's limit would fail this turn and every later one of the conversation.
    const tooLarge = images.filter((image) => !fitsLimit(image, maxImageBytes));
    const notes = tooLarge.map(
      (image) =>
        `[Attached image "${image.name}" left out: it is larger than this model takes (${megabytes(maxImageBytes!)} MB as base64).]`,
    );
    const text = notes.length > 0 ? `${notes.join('\n')}\n\n${message.content}` : message.content;
    const parts: ContentPart[] = [{ type: 'text', text }];
    for (const image of images) {
      if (!fitsLimit(image, maxImageBytes)) continue;
      const bytes = data.get(image.fileId);
      if (bytes === undefined) continue;
      parts.push({
        type: 'image',
        source: { kind: 'base64', mediaType: image.mimeType as ImageMediaType, data: bytes },
      });
    }
    return { ...message, content: parts };
  });
}

/** Whether the provider takes `image`: its base64 text within `maxImageBytes`, when the provider has a limit. */
export const fitsLimit = (image: PromptImage, maxImageBytes: number | null) =>
  maxImageBytes === null || Math.ceil(image.size / 3) * 4 <= maxImageBytes;

const megabytes = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** A title from the first message: its first line, cut at a word near 60 characters. */
export function titleFrom(content: string): string {
  const line = content.trim().split('\n')[0].replace(/\s+/g, ' ');
  if (line.length <= 60) return line || 'New conversation';
  // Not between the two halves of a character outside the BMP (an emoji): half of one is no character at all.
  const cut = line.slice(0, /[\uD800-\uDBFF]/.test(line[59]) ? 59 : 60);
  const space = cut.lastIndexOf(' ');
  return `${(space > 30 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
