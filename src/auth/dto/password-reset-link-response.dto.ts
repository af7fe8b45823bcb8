import type { ResetLink } from '../password-resets.service';

export class PasswordResetLinkResponseDto {
  /** Give it to the user: it opens the page's "choose a new password" form. Works once. */
  url: string;
  expiresAt: string;

  static from(link: ResetLink): PasswordResetLinkResponseDto {
    return { url: link.url, expiresAt: link.expiresAt.toISOString() };
  }
}
