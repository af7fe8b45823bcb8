export class AuthProviderResponseDto {
  /** The provider's id in the sign-in routes (/auth/oidc/{id}/start). @example "keycloak" */
  id: string;
  /** @example "Company sign-in" */
  label: string;
}

export class AuthProvidersResponseDto {
  /** Whether people may make their own accounts (POST /auth/register); false hides sign-up on the page. */
  registration: boolean;
  /**
   * The other sign-in providers configured (OIDC_PROVIDERS, GitHub). Sign in by navigating to
   * /auth/oidc/{id}/start; link one to the signed-in account with /auth/oidc/{id}/start?link=1.
   */
  items: AuthProviderResponseDto[];
}
