export class AuthProviderResponseDto {
  /** @example "keycloak" */
  id: string;
  /** @example "Company sign-in" */
  label: string;
}

export class AuthProvidersResponseDto {
  /** Whether people may make their own accounts (POST /auth/register); false hides sign-up on the page. */
  registration: boolean;
  /** The other sign-in providers configured; none yet. */
  items: AuthProviderResponseDto[];
}
