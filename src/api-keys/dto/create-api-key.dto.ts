import { Transform } from 'class-transformer';
import { IsDate, isISO8601, IsNotEmpty, IsOptional, IsString, MaxLength, MinDate } from 'class-validator';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
// Only a well-formed ISO-8601 string becomes a Date; anything else stays as sent and fails IsDate with a message.
const toDate = ({ value }: { value: unknown }) =>
  typeof value === 'string' && isISO8601(value, { strict: true }) ? new Date(value) : value;

export class CreateApiKeyDto {
  /** What the key is for, to tell keys apart. @example "laptop scripts" */
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  name: string;

  /** When the key stops working; never, when left out. @example "2026-12-31T23:59:59Z" */
  @IsOptional()
  @Transform(toDate)
  @IsDate({ message: 'expiresAt must be an ISO-8601 date-time, e.g. 2026-12-31T23:59:59Z' })
  @MinDate(() => new Date(), { message: 'expiresAt must be in the future' })
  expiresAt?: Date;
}
