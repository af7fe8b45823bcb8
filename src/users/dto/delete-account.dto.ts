import { IsString, MaxLength } from 'class-validator';

export class DeleteAccountDto {
  /** The account's current password, to confirm. */
  @IsString()
  @MaxLength(256)
  password: string;
}
