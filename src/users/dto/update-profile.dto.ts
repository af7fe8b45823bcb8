import { Transform } from 'class-transformer';
import { IsNotEmpty, IsObject, IsString, MaxLength, Validate } from 'class-validator';
import { StorableJsonConstraint } from '../../common/validators/storable-json.validator';
import { MayBeOmitted } from '../../common/validators/may-be-omitted';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class UpdateProfileDto {
  // Trimmed before the checks, so a blank name is refused rather than stored empty.
  /** @example "Ada Lovelace" */
  @Transform(trim)
  @MayBeOmitted()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  displayName?: string;

  /** Client preferences (theme, default model, ...), replaced as a whole; at most 16 KiB of JSON. */
  @MayBeOmitted()
  @IsObject()
  @Validate(StorableJsonConstraint, [16 * 1024])
  settings?: Record<string, unknown>;
}
