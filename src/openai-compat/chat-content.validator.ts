import { ValidationArguments, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';

export interface TextPart {
  type: 'text';
  text: string;
}

export interface ImageUrlPart {
  type: 'image_url';
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
}

export type OpenAiContentPart = TextPart | ImageUrlPart;

const DETAILS = ['auto', 'low', 'high'];
/** The image types every vision provider here takes; base64 only, as OpenAI's own data URLs are. */
const DATA_URL = /^data:(image\/(?:png|jpeg|gif|webp));base64,([A-Za-z0-9+/]+={0,2})$/;

/** An image given in a data: URL, as its media type and base64 bytes; null for anything else. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | null {
  const match = DATA_URL.exec(url);
  if (!match || match[2].length % 4 !== 0) return null;
  return { mediaType: match[1], data: match[2] };
}

/** How each type's bytes begin, read from its first 12 bytes. */
const SIGNATURES: Record<string, { name: string; matches: (head: Buffer) => boolean }> = {
  'image/png': { name: 'PNG', matches: (head) => head.subarray(0, 8).equals(Buffer.from('89504e470d0a1a0a', 'hex')) },
  'image/jpeg': { name: 'JPEG', matches: (head) => head.subarray(0, 3).equals(Buffer.from('ffd8ff', 'hex')) },
  'image/gif': { name: 'GIF', matches: (head) => ['GIF87a', 'GIF89a'].includes(head.toString('latin1', 0, 6)) },
  'image/webp': {
    name: 'WebP',
    matches: (head) => head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP',
  },
};

/**
 * The name of the type a data: URL declares when its bytes are not of it, or null. Sent on, such an image costs
 * the caller a failed call at the provider, or a guess. Only the first 16 characters (12 bytes) are decoded.
 */
function mislabelledType(image: { mediaType: string; data: string }): string | null {
  const signature = SIGNATURES[image.mediaType];
  return signature.matches(Buffer.from(image.data.slice(0, 16), 'base64')) ? null : signature.name;
}

interface MessageShape {
  role?: unknown;
  tool_calls?: unknown;
}

/** What is wrong with one part, by its path under the content ('0.image_url.url'), or null. */
function partProblem(part: unknown, index: number, imagesAllowed: boolean, role: string): string | null {
  if (typeof part !== 'object' || part === null) return `${index} must be an object with a "type"`;
  const { type, text, image_url: image } = part as { type?: unknown; text?: unknown; image_url?: unknown };
  if (type === 'text') return typeof text === 'string' ? null : `${index}.text must be a string`;
  if (type !== 'image_url') {
    const name = typeof type === 'string' ? `"${type}" parts` : 'parts without a type';
    return `${index} is not supported: ${name}; content takes text and image_url parts`;
  }
  if (!imagesAllowed) return `${index} is an image, which only user messages may hold (this is a ${role} message)`;
  const { url, detail } = (typeof image === 'object' && image !== null ? image : {}) as {
    url?: unknown;
    detail?: unknown;
  };
  const inline = typeof url === 'string' && !url.startsWith('https://') ? parseDataUrl(url) : null;
  if (typeof url !== 'string' || !(url.startsWith('https://') ? URL.canParse(url) : inline)) {
    return (
      `${index}.image_url.url must be a data: URL of a base64 PNG, JPEG, GIF or WebP image ` +
      '(data:image/png;base64,...) or an https: URL'
    );
  }
  const expected = inline && mislabelledType(inline);
  if (expected) return `${index}.image_url.url says ${inline.mediaType}, but its bytes are not a ${expected} image`;
  if (detail !== undefined && !DETAILS.includes(detail as string)) {
    return `${index}.image_url.detail must be one of ${DETAILS.join(', ')}`;
  }
  return null;
}

function contentProblem(value: unknown, message: MessageShape): string | null {
  const role = typeof message.role === 'string' ? message.role : 'user';
  if (value === null || value === undefined) {
    const calls = message.tool_calls;
    if (role === 'assistant' && Array.isArray(calls) && calls.length > 0) return null;
    return ' is required (it may be null only on an assistant message with tool_calls)';
  }
  if (typeof value === 'string') return null;
  if (!Array.isArray(value) || value.length === 0) {
    return ' must be a string or a non-empty array of content parts';
  }
  for (const [index, part] of value.entries()) {
    const problem = partProblem(part, index, role === 'user', role);
    if (problem) return `.${problem}`;
  }
  return null;
}

/**
 * A message's `content` as OpenAI takes it: text, or parts; image_url parts on user messages only, each a
 * data: URL or an https: URL (which only providers that fetch images themselves take; the server never does).
 */
@ValidatorConstraint({ name: 'chatContent' })
export class ChatContentConstraint implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    return contentProblem(value, args.object as MessageShape) === null;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property}${contentProblem(args.value, args.object as MessageShape) ?? ' is not valid'}`;
  }
}

/** `tool_calls` belong to assistant messages only. */
@ValidatorConstraint({ name: 'assistantOnly' })
export class AssistantOnlyConstraint implements ValidatorConstraintInterface {
  validate(_value: unknown, args: ValidationArguments): boolean {
    return (args.object as MessageShape).role === 'assistant';
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} may only be set on assistant messages`;
  }
}

/** `tool_call_id` is required on tool messages, and means nothing on any other. */
@ValidatorConstraint({ name: 'toolCallId' })
export class ToolCallIdConstraint implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    if ((args.object as MessageShape).role !== 'tool') return value === undefined || value === null;
    return typeof value === 'string' && value.length > 0 && value.length <= 256;
  }

  defaultMessage(args: ValidationArguments): string {
    return (args.object as MessageShape).role === 'tool'
      ? `${args.property} must be the id of the tool call answered (a string of 1 to 256 characters)`
      : `${args.property} may only be set on tool messages`;
  }
}

/** Tool-call arguments, as the model wrote them: the text of a JSON object. */
@ValidatorConstraint({ name: 'jsonObjectText' })
export class JsonObjectTextConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string') return false;
    try {
      const parsed = JSON.parse(value) as unknown;
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
    } catch {
      return false;
    }
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be the text of a JSON object, e.g. "{}"`;
  }
}

const TOOL_CHOICES = ['none', 'auto', 'required'];

/** `none`, `auto`, `required`, or `{ "type": "function", "function": { "name": ... } }`. */
@ValidatorConstraint({ name: 'toolChoice' })
export class ToolChoiceConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value === 'string') return TOOL_CHOICES.includes(value);
    const { type, function: fn } = (typeof value === 'object' && value !== null ? value : {}) as {
      type?: unknown;
      function?: { name?: unknown } | null;
    };
    return type === 'function' && typeof fn?.name === 'string' && fn.name.length > 0;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be "none", "auto", "required" or { "type": "function", "function": { "name": "..." } }`;
  }
}

/** One stop sequence or up to four, as OpenAI takes them. */
@ValidatorConstraint({ name: 'stop' })
export class StopConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    const sequences = typeof value === 'string' ? [value] : value;
    return (
      Array.isArray(sequences) &&
      sequences.length >= 1 &&
      sequences.length <= 4 &&
      sequences.every((sequence) => typeof sequence === 'string' && sequence.length > 0 && sequence.length <= 256)
    );
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be a string or an array of 1 to 4 strings, each of 1 to 256 characters`;
  }
}

/** Options of the stream, taken only with `stream: true`, as OpenAI takes them, rather than ignored. */
@ValidatorConstraint({ name: 'streamOnly' })
export class StreamOnlyConstraint implements ValidatorConstraintInterface {
  validate(_value: unknown, args: ValidationArguments): boolean {
    return (args.object as { stream?: unknown }).stream === true;
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} is only allowed when stream is true`;
  }
}
