import { ValidationArguments, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';

/** Fits in `maxBytes` of JSON, and is stored as sent: a number too large for a double (`1e999`) would be null. */
@ValidatorConstraint({ name: 'storableJson' })
export class StorableJsonConstraint implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    const [maxBytes] = args.constraints as [number];
    return Buffer.byteLength(JSON.stringify(value) ?? '') <= maxBytes && finiteThroughout(value);
  }

  defaultMessage(args: ValidationArguments): string {
    return finiteThroughout(args.value)
      ? `${args.property} must be at most ${(args.constraints as [number])[0]} bytes of JSON`
      : `${args.property} holds a number too large to store`;
  }
}

function finiteThroughout(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object' || value === null) return true;
  return Object.values(value).every(finiteThroughout);
}
