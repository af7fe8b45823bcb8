import { ValidationArguments, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';

export interface TextPart {
  type: 'text';
  text: string;
}

const isTextPart = (part: unknown): part is TextPart =>
  typeof part === 'object' &&
  part !== null &&
  (part as { type?: unknown }).type === 'text' &&
  typeof (part as { text?: unknown }).text === 'string';

/** A message's `content` as OpenAI accepts it, limited to what every provider here can take: text. */
@ValidatorConstraint({ name: 'chatContent' })
export class ChatContentConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value === 'string') return true;
    return Array.isArray(value) && value.length > 0 && value.every(isTextPart);
  }

  defaultMessage(args: ValidationArguments): string {
    const value = args.value as unknown;
    if (Array.isArray(value)) {
      const other = value.find((part) => !isTextPart(part)) as { type?: unknown } | undefined;
      if (other && typeof other.type === 'string' && other.type !== 'text') {
        return `${args.property} may only hold text parts; "${other.type}" parts are not supported`;
      }
      return `${args.property} must be a string or a non-empty array of { "type": "text", "text": "..." } parts`;
    }
    // An assistant turn with null content carries tool calls, which this server does not offer.
    return `${args.property} must be a string or an array of text parts (tool calls are not supported)`;
  }
}
