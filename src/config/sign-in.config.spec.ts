import { signInProvidersFrom } from './sign-in.config';

describe('signInProvidersFrom', () => {
  it('reads each named OpenID provider; its id is the name in lower case', () => {
    expect(
      signInProvidersFrom({
        OIDC_PROVIDERS: 'Keycloak, google',
        OIDC_KEYCLOAK_ISSUER: 'http://keycloak.internal:8080/realms/acme',
        OIDC_KEYCLOAK_CLIENT_ID: 'colloquy',
        OIDC_KEYCLOAK_CLIENT_SECRET: 's3cret',
        OIDC_KEYCLOAK_LABEL: 'ACME sign-in',
        OIDC_GOOGLE_ISSUER: 'https://accounts.google.com',
        OIDC_GOOGLE_CLIENT_ID: 'id.apps.googleusercontent.com',
      }),
    ).toEqual([
      {
        kind: 'oidc',
        id: 'keycloak',
        label: 'ACME sign-in',
        issuer: 'http://keycloak.internal:8080/realms/acme',
        clientId: 'colloquy',
        clientSecret: 's3cret',
      },
      {
        kind: 'oidc',
        id: 'google',
        label: 'google',
        issuer: 'https://accounts.google.com',
        clientId: 'id.apps.googleusercontent.com',
        clientSecret: null,
      },
    ]);
  });

  it('has none configured by default', () => {
    expect(signInProvidersFrom({})).toEqual([]);
  });

  it('names the missing variables of a listed provider', () => {
    expect(() => signInProvidersFrom({ OIDC_PROVIDERS: 'keycloak' })).toThrow(
      /OIDC_KEYCLOAK_ISSUER: is required[\s\S]*OIDC_KEYCLOAK_CLIENT_ID: is required/,
    );
    expect(() =>
      signInProvidersFrom({
        OIDC_PROVIDERS: 'keycloak',
        OIDC_KEYCLOAK_ISSUER: 'sso.example.com',
        OIDC_KEYCLOAK_CLIENT_ID: 'x',
      }),
    ).toThrow(/OIDC_KEYCLOAK_ISSUER: must be an http:\/\/ or https:\/\/ address/);
  });

  it('refuses a bad list, a name given twice, and "github" as an OpenID provider', () => {
    expect(() => signInProvidersFrom({ OIDC_PROVIDERS: 'key-cloak' })).toThrow(/OIDC_PROVIDERS must be/);
    const twice = { OIDC_PROVIDERS: 'a,A', OIDC_A_ISSUER: 'https://a.example.com', OIDC_A_CLIENT_ID: 'x' };
    expect(() => signInProvidersFrom(twice)).toThrow(/OIDC_PROVIDERS: names "A" twice/);
    expect(() => signInProvidersFrom({ OIDC_PROVIDERS: 'github' })).toThrow(/"github" is taken/);
  });

  it('turns GitHub on with both its id and secret, the API beside GitHub Enterprise Server by default', () => {
    expect(signInProvidersFrom({ GITHUB_CLIENT_ID: 'id', GITHUB_CLIENT_SECRET: 'secret' })).toEqual([
      expect.objectContaining({ id: 'github', webUrl: 'https://github.com', apiUrl: 'https://api.github.com' }),
    ]);
    expect(
      signInProvidersFrom({
        GITHUB_CLIENT_ID: 'id',
        GITHUB_CLIENT_SECRET: 'secret',
        GITHUB_URL: 'https://git.acme.io/',
      }),
    ).toEqual([expect.objectContaining({ webUrl: 'https://git.acme.io', apiUrl: 'https://git.acme.io/api/v3' })]);
    expect(() => signInProvidersFrom({ GITHUB_CLIENT_ID: 'id' })).toThrow(/GITHUB_CLIENT_SECRET: is required/);
  });
});
