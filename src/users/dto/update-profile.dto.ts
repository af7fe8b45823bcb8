import { IsNotEmpty, IsObject, IsOptional, IsString, MaxLength, Validate } from 'class-validator';
import { JsonSizeConstraint } from '../../common/validators/json-size.validator';

export class UpdateProfileDto {
  /** @example "Ada Lovelace" */
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
