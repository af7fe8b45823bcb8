/**
 * The deepest nesting of arrays and objects a JSON body may have. The API's deepest legitimate bodies are tool and
 * response schemas on /v1, a few dozen levels at most; class-transformer and class-validator recurse once per level,
 * and a few thousand levels would exhaust the stack.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * The most members one object of a body or query may have. class-transformer drops repeated keys from every object it
 * copies with an indexOf per key, which takes time quadratic in the object's width: one body of 70,000 short keys
 * (750 KB, no account needed) held the event loop for ten seconds. The API's widest real objects (a JSON Schema's
 * `properties`, settings) hold dozens of members.
 */
export const MAX_OBJECT_MEMBERS = 1000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether JSON text nests arrays and objects deeper than `maxDepth`, found in one pass over the text before it is
 * parsed, so nothing deep is ever built. Brackets inside strings do not count. The answer for text that is not JSON
 * does not matter: its parse fails anyway.
 */
export function jsonNestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

export type TextProblem = 'nul' | 'unpaired-surrogate';

/**
 * Text the server refuses everywhere: NUL, which PostgreSQL cannot store in a text column and SQLite cuts strings at,
 * and unpaired UTF-16 surrogates (only JSON's `\ud800` escapes make them), which have no UTF-8 form, so the database,
 * the password hash and validators would each replace or choke on them in their own way.
 */
export function textProblem(text: string): TextProblem | undefined {
  if (text.includes('\0')) return 'nul';
  if (!text.isWellFormed()) return 'unpaired-surrogate';
  return undefined;
}

export interface IllFormedText {
  /** Where it is, e.g. `body.messages[0].content`; for a name, the object holding it. */
  path: string;
  /** The name of a field (or query parameter) is at fault rather than a value. */
  inName: boolean;
  problem: TextProblem;
}

interface Node {
  value: unknown;
  parent?: Node;
  key?: string | number;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const MAX_SHOWN_KEY = 40;

function pathOf(node: Node, root: string): string {
  let path = '';
  for (let at: Node | undefined = node; at?.parent; at = at.parent) {
    const key = at.key!;
    if (typeof key === 'number') path = `[${key}]${path}`;
    else if (IDENTIFIER.test(key) && key.length <= MAX_SHOWN_KEY) path = `.${key}${path}`;
    else path = `[${JSON.stringify(key.length > MAX_SHOWN_KEY ? `${key.slice(0, MAX_SHOWN_KEY)}...` : key)}]${path}`;
  }
  return `${root}${path}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as object | null;
  // Parsed JSON makes plain objects; Fastify's query and route parameters are objects whose prototype has no
  // prototype itself. Anything else (a stream, a class instance) is not parsed text, and may be cyclic.
  return prototype === null || prototype === Object.prototype || Object.getPrototypeOf(prototype) === null;
}

/**
 * The first string, or object key, at any depth of a parsed input that `textProblem` refuses. Walks with its own
 * stack, so the depth of the input never matters to it.
 */
export function findIllFormedText(input: unknown, root: string): IllFormedText | undefined {
  const stack: Node[] = [{ value: input }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { value } = node;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) return { path: pathOf(node, root), inName: false, problem };
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], parent: node, key: i });
    } else if (isRecord(value)) {
      const keys = Object.keys(value);
      for (const key of keys) {
        const problem = textProblem(key);
        if (problem) return { path: pathOf(node, root), inName: true, problem };
      }
      for (let i = keys.length - 1; i >= 0; i--) stack.push({ value: value[keys[i]], parent: node, key: keys[i] });
    }
  }
  return undefined;
}

/** Where the first object of a parsed input with more than `maxMembers` members is, e.g. `body.settings`. */
export function findObjectWiderThan(input: unknown, root: string, maxMembers: number): string | undefined {
  const stack: Node[] = [{ value: input }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { value } = node;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], parent: node, key: i });
    } else if (isRecord(value)) {
      const keys = Object.keys(value);
      if (keys.length > maxMembers) return pathOf(node, root);
      for (let i = keys.length - 1; i >= 0; i--) stack.push({ value: value[keys[i]], parent: node, key: keys[i] });
    }
  }
  return undefined;
}

/** The client-facing sentence for a refused text. */
export function describeIllFormedText({ path, inName, problem }: IllFormedText): string {
  const where = inName ? `a field name in ${path}` : path;
  return problem === 'nul'
    ? `${where} contains a NUL character (U+0000), which text may not contain`
    : `${where} contains an unpaired UTF-16 surrogate: text must be well-formed Unicode`;
}
