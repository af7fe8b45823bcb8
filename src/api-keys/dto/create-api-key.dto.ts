import { IsDate, IsNotEmpty, IsOptional, IsString, MaxLength, MinDate } from 'class-validator';
import { ToDate } from '../../common/validators/to-date';
import { Trimmed } from '../../common/validators/trimmed';

export class CreateApiKeyDto {
  /** What the key is for, to tell keys apart. @example "laptop scripts" */
  @Trimmed()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  name: string;

  /** When the key stops working; never, when left out. @example "2026-12-31T23:59:59Z" */
  @IsOptional()
  @ToDate()
  @IsDate({ message: 'expiresAt must be an ISO-8601 date-time, e.g. 2026-12-31T23:59:59Z' })
  @MinDate(() => new Date(), { message: 'expiresAt must be in the future' })
  expiresAt?: Date;
}
