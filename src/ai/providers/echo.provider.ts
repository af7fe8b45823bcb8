import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  AiProvider,
  textOf,
  type ChatEvent,
  type ChatRequest,
  type ModelInfo,
  type ProviderFeatures,
} from '../ai-provider';
import { AbortError } from '../ai.errors';

const countWords = (text: string) => text.split(/\s+/).filter(Boolean).length;

/**
 * Echo's answer does not depend on chance, so sampling settings and the end-user id change nothing and are
 * taken; `stop` is honoured by cutting the answer. It never calls tools, cannot promise JSON, and, being
 * offline, cannot fetch an image by URL; inline images are taken and not echoed.
 */
export const ECHO_FEATURES: ProviderFeatures = {
  tools: false,
  toolChoices: [],
  serialToolCalls: false,
  strictTools: false,
  imageData: true,
  maxImageBytes: null,
  imageUrl: false,
  stop: true,
  responseFormats: [],
  topP: true,
  seed: true,
  frequencyPenalty: true,
  presencePenalty: true,
  user: true,
  maxTemperature: 2,
};

/**
 * The offline provider: answers with the text of the last user message, word by word. It needs no network, so
 * the server runs, and its tests pass, without any vendor configured.
 */
export class EchoProvider extends AiProvider {
  readonly id = 'echo';
  readonly features = ECHO_FEATURES;

  async listModels(): Promise<ModelInfo[]> {
    return [{ id: 'echo/echo', provider: this.id, name: 'echo' }];
  }

  async *streamChat(request: ChatRequest): AsyncGenerator<ChatEvent> {
    const last = request.messages.findLast((message) => message.role === 'user');
    const answer = cutAtStop(last ? textOf(last.content) : '', request.stop);
    // One word a delta, whitespace kept, so the deltas join back to the exact text.
    const pieces = answer.match(/\s*\S+\s*/g) ?? (answer ? [answer] : []);
    for (const piece of pieces) {
      // Yield to the event loop between chunks, as a network stream would, so an abort can land mid-answer.
      await nextTurn();
      if (request.signal.aborted) throw new AbortError();
      yield { type: 'delta', text: piece };
    }
    await nextTurn();
    if (request.signal.aborted) throw new AbortError();
    const promptTokens = request.messages.reduce((sum, message) => sum + countWords(textOf(message.content)), 0);
    yield { type: 'done', usage: { promptTokens, completionTokens: countWords(answer) }, finishReason: 'stop' };
  }
}

/** The text up to the earliest stop sequence, as a vendor stops generating there (the sequence left out). */
function cutAtStop(text: string, stop: string[] | undefined): string {
  let end = text.length;
  for (const sequence of stop ?? []) {
    const at = text.indexOf(sequence);
    if (at >= 0 && at < end) end = at;
  }
  return text.slice(0, end);
}
