import { IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';

const CODE_PATTERN = /^[0-9a-fA-F\s-]{6,24}$/;
const CODE_MESSAGE = 'code must be a 6-digit code from the app or a backup code';

export class MfaPasswordDto {
  /** The account's password. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  password: string;
}

export class MfaCodeDto {
  /** The 6-digit code the authenticator app shows now (as the app groups it, "123 456", is fine). @example "123456" */
  @IsString()
  @Matches(/^\s*\d{3}[\s-]?\d{3}\s*$/, { message: 'code must be the 6-digit code from the app' })
  code: string;
}

export class MfaDisableDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  password: string;

  /** A code from the app, or an unused backup code. @example "123456" */
  @IsString()
  @Matches(CODE_PATTERN, { message: CODE_MESSAGE })
  code: string;
}

export class MfaLoginDto {
  /** From the POST /auth/login answer; works once, for 5 minutes. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  mfaToken: string;

  /** A code from the app, or an unused backup code. @example "123456" */
  @IsString()
  @Matches(CODE_PATTERN, { message: CODE_MESSAGE })
  code: string;
}

export class MfaSetupResponseDto {
  /** The secret in base32, to type into an authenticator app that cannot scan. */
  secret: string;
  /** The otpauth:// URL the QR code holds. */
  otpauthUrl: string;
  /** The otpauthUrl as a QR code: a data:image/svg+xml;base64 URL, ready for an <img>. */
  qrCodeSvg: string;
}

export class MfaBackupCodesResponseDto {
  /** 10 single-use codes, shown this once; each can stand in for a code from the app. */
  backupCodes: string[];
}

export class MfaRequiredResponseDto {
  mfaRequired: true;
  /** Send with a code to POST /auth/login/mfa; works once, for 5 minutes. */
  mfaToken: string;
}
