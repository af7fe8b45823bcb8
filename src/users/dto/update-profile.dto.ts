import { IsNotEmpty, IsObject, IsString, MaxLength, Validate } from 'class-validator';
import { AsSent } from '../../common/validators/as-sent';
import { StorableJsonConstraint } from '../../common/validators/storable-json.validator';
import { MayBeOmitted } from '../../common/validators/may-be-omitted';
import { IsDisplayText } from '../../common/validators/display-name';
import { Trimmed } from '../../common/validators/trimmed';

export class UpdateProfileDto {
  // Trimmed before the checks, so a blank name is refused rather than stored empty.
  /** @example "Ada Lovelace" */
  @Trimmed()
  @MayBeOmitted()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @IsDisplayText()
  displayName?: string;

  /** Client preferences (theme, default model, ...), replaced as a whole; at most 16 KiB of JSON. */
  @AsSent()
  @MayBeOmitted()
  @IsObject()
  @Validate(StorableJsonConstraint, [16 * 1024])
  settings?: Record<string, unknown>;
}
