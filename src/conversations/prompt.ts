import type { TextChatMessage } from '../ai/ai-provider';
import type { Message, MessageRole } from './entities/message.entity';

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
export function buildPrompt(systemPrompt: string | null, history: Message[], budgetTokens: number): TextChatMessage[] {
  const budget = new HistoryBudget(systemPrompt, budgetTokens);
  const kept: TextChatMessage[] = [];
  for (let i = history.length - 1; i >= 0; i--) {
    const { role, content } = history[i];
    if (!budget.admit({ role, length: content.length })) break;
    if (role === 'user' || content.length > 0) kept.push({ role, content });
  }
  // Some providers (Anthropic) require the conversation to start with a user turn.
  while (kept.length > 1 && kept[kept.length - 1].role !== 'user') kept.pop();
  const system: TextChatMessage[] = systemPrompt ? [{ role: 'system', content: systemPrompt }] : [];
  return [...system, ...kept.reverse()];
}

/** A title from the first message: its first line, cut at a word near 60 characters. */
export function titleFrom(content: string): string {
  const line = content.trim().split('\n')[0].replace(/\s+/g, ' ');
  if (line.length <= 60) return line || 'New conversation';
  const cut = line.slice(0, 60);
  const space = cut.lastIndexOf(' ');
  return `${(space > 30 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
