/**
 * A model id as MODEL_FALLBACKS names one: `<provider>/<model>`, the model's name in letters, digits and
 * `_ . : @ + / -` (as in `ollama/qwen2.5:7b` or `openrouter/meta-llama/llama-3-70b:free`).
 */
const MODEL_ID = '[a-z0-9-]+/[\\w.:@+/-]+';

/** `from=to1|to2`, entries separated by commas (spaces around them allowed). */
export const MODEL_FALLBACKS_PATTERN = new RegExp(
  `^\\s*${MODEL_ID}=${MODEL_ID}(\\|${MODEL_ID})*(\\s*,\\s*${MODEL_ID}=${MODEL_ID}(\\|${MODEL_ID})*)*\\s*,?\\s*$`,
);

/**
 * MODEL_FALLBACKS as a map from a model id to the ones that answer in its place, in order. `problem` names what
 * the syntax alone cannot catch: a model listed twice on the left, or as its own fallback.
 */
export function parseModelFallbacks(text: string | undefined): { fallbacks: Map<string, string[]>; problem?: string } {
  const fallbacks = new Map<string, string[]>();
  for (const entry of (text ?? '').split(',')) {
    if (!entry.trim()) continue;
    const [from, to] = entry.trim().split('=');
    const list = to.split('|');
    if (fallbacks.has(from)) return { fallbacks, problem: `${from} is listed twice` };
    if (list.includes(from)) return { fallbacks, problem: `${from} cannot be its own fallback` };
    if (new Set(list).size !== list.length) return { fallbacks, problem: `${from} names a fallback twice` };
    fallbacks.set(from, list);
  }
  return { fallbacks };
}
