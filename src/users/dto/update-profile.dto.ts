import { Transform } from 'class-transformer';
import { IsNotEmpty, IsObject, IsOptional, IsString, MaxLength, Validate } from 'class-validator';
import { JsonSizeConstraint } from '../../common/validators/json-size.validator';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class UpdateProfileDto {
  // Trimmed before the checks, so a blank name is refused rather than stored empty.
  /** @example "Ada Lovelace" */
  @Transform(trim)
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  displayName?: string;

  /** Client preferences (theme, default model, ...), replaced as a whole; at most 16 KiB of JSON. */
  @IsOptional()
  @IsObject()
  @Validate(JsonSizeConstraint, [16 * 1024])
  settings?: Record<string, unknown>;
}
