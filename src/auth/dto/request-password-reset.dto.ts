import { IsEmail, MaxLength } from 'class-validator';
import { Trimmed } from '../../common/validators/trimmed';

export class RequestPasswordResetDto {
  /** @example "ada@example.com" */
  @Trimmed()
  @IsEmail()
  @MaxLength(254)
  email: string;
}
