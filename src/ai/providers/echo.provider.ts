import { setImmediate as nextTurn } from 'node:timers/promises';
import { AiProvider, type ChatEvent, type ChatRequest, type ModelInfo } from '../ai-provider';
import { AbortError } from '../ai.errors';

const countWords = (text: string) => text.split(/\s+/).filter(Boolean).length;

/**
 * The offline provider: answers with the last user message, word by word. It needs no network, so the server
 * runs, and its tests pass, without any vendor configured.
 */
export class EchoProvider extends AiProvider {
  readonly id = 'echo';

  async listModels(): Promise<ModelInfo[]> {
    return [{ id: 'echo/echo', provider: this.id, name: 'echo' }];
  }

  async *streamChat(request: ChatRequest): AsyncGenerator<ChatEvent> {
    const answer = request.messages.findLast((message) => message.role === 'user')?.content ?? '';
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
    const promptTokens = request.messages.reduce((sum, message) => sum + countWords(message.content), 0);
    yield { type: 'done', usage: { promptTokens, completionTokens: countWords(answer) }, finishReason: 'stop' };
  }
}
