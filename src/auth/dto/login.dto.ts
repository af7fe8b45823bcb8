import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class LoginDto {
  /** @example "ada@example.com" */
  @IsString()
  @IsNotEmpty()
  @MaxLength(254)
  email: string;

  /** @example "correct horse battery" */
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  password: string;
}
