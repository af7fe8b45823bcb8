import { Transform } from 'class-transformer';
import { IsEmail, MaxLength } from 'class-validator';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class RequestPasswordResetDto {
  /** @example "ada@example.com" */
  @Transform(trim)
  @IsEmail()
  @MaxLength(254)
  email: string;
}
