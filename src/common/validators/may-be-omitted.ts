import { ValidateIf } from 'class-validator';

/**
 * The field may be left out; sent, it is checked like any value, `null` included. class-validator's
 * `@IsOptional()` also skips every check for `null`, which services that only test `=== undefined` then stored or
 * dereferenced: use that only where `null` means something (clearing a nullable column, for instance).
 */
export const MayBeOmitted = (): PropertyDecorator => ValidateIf((_, value: unknown) => value !== undefined);
