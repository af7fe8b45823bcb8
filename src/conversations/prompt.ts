import type { ChatMessage } from '../ai/ai-provider';
import type { Message } from './entities/message.entity';

/** A rough count that errs high (about 4 characters a token for English, plus per-message framing). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3.5) + 4;
}

/**
 * The messages sent to the model: the system prompt first, then as much of the history as fits the budget,
 * dropping the oldest first. The newest message (the one just sent) is always kept. Answers that failed with
 * no text are left out: they carry nothing the model said.
 */
export function buildPrompt(systemPrompt: string | null, history: Message[], budgetTokens: number): ChatMessage[] {
  const usable = history.filter((m) => m.role === 'user' || m.content.length > 0);
  const system: ChatMessage[] = systemPrompt ? [{ role: 'system', content: systemPrompt }] : [];
  let remaining = budgetTokens - system.reduce((sum, m) => sum + estimateTokens(m.content), 0);
  const kept: ChatMessage[] = [];
  for (let i = usable.length - 1; i >= 0; i--) {
    const message = usable[i];
    const cost = estimateTokens(message.content);
    if (kept.length > 0 && cost > remaining) break;
    remaining -= cost;
    kept.push({ role: message.role, content: message.content });
  }
  // Some providers (Anthropic) require the conversation to start with a user turn.
  while (kept.length > 1 && kept[kept.length - 1].role !== 'user') kept.pop();
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
