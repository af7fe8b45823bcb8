import { registerAs } from '@nestjs/config';
import { validateEnv } from './env.validation';

export interface OidcProviderSettings {
  kind: 'oidc';
  /** The name in OIDC_PROVIDERS, lower-cased: the route segment and what identities record. */
  id: string;
  label: string;
  issuer: string;
  clientId: string;
  /** Unset: a public client (PKCE only, no client authentication at the token endpoint). */
  clientSecret: string | null;
}

export interface GithubProviderSettings {
  kind: 'github';
  id: 'github';
  label: string;
  /** Where people sign in (github.com, or a GitHub Enterprise Server). Also the issuer of its identities. */
  webUrl: string;
  apiUrl: string;
  clientId: string;
  clientSecret: string;
}

export type SignInProviderSettings = OidcProviderSettings | GithubProviderSettings;

export interface SignInConfig {
  providers: SignInProviderSettings[];
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !url.search && !url.hash;
  } catch {
    return false;
  }
}

/**
 * The sign-in providers the environment names. The per-provider variables (OIDC_<NAME>_*) have names made from
 * OIDC_PROVIDERS, so they are checked here rather than by the fixed schema of env.validation. Throws one error
 * naming every bad variable, like validateEnv.
 */
export function signInProvidersFrom(raw: Record<string, unknown>): SignInProviderSettings[] {
  const env = validateEnv(raw);
  const text = (name: string): string | undefined => {
    const value = raw[name];
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  const problems: string[] = [];
  const providers: SignInProviderSettings[] = [];
  const names = (env.OIDC_PROVIDERS ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const seen = new Set<string>();
  for (const name of names) {
    const id = name.toLowerCase();
    const prefix = `OIDC_${name.toUpperCase()}`;
    if (seen.has(id)) {
      problems.push(`OIDC_PROVIDERS: names "${name}" twice`);
      continue;
    }
    seen.add(id);
    if (id === 'github') {
      problems.push('OIDC_PROVIDERS: "github" is taken by sign-in with GitHub (GITHUB_CLIENT_ID); choose another name');
      continue;
    }
    const issuer = text(`${prefix}_ISSUER`);
    const clientId = text(`${prefix}_CLIENT_ID`);
    if (!issuer) problems.push(`${prefix}_ISSUER: is required, since OIDC_PROVIDERS lists "${name}"`);
    else if (!isHttpUrl(issuer)) {
      problems.push(`${prefix}_ISSUER: must be an http:// or https:// address, e.g. https://sso.example.com/realms/x`);
    }
    if (!clientId) problems.push(`${prefix}_CLIENT_ID: is required, since OIDC_PROVIDERS lists "${name}"`);
    const label = text(`${prefix}_LABEL`) ?? name;
    if (label.length > 100) problems.push(`${prefix}_LABEL: must be at most 100 characters`);
    if (issuer && clientId) {
      providers.push({
        kind: 'oidc',
        id,
        label,
        issuer,
        clientId,
        clientSecret: text(`${prefix}_CLIENT_SECRET`) ?? null,
      });
    }
  }
  if (env.GITHUB_CLIENT_ID || env.GITHUB_CLIENT_SECRET) {
    if (!env.GITHUB_CLIENT_ID) problems.push('GITHUB_CLIENT_ID: is required when GITHUB_CLIENT_SECRET is set');
    if (!env.GITHUB_CLIENT_SECRET) problems.push('GITHUB_CLIENT_SECRET: is required when GITHUB_CLIENT_ID is set');
    if (env.GITHUB_CLIENT_ID && env.GITHUB_CLIENT_SECRET) {
      const webUrl = trimSlash(env.GITHUB_URL);
      // GitHub Enterprise Server answers its API under /api/v3 of its own address.
      const defaultApi = webUrl === 'https://github.com' ? 'https://api.github.com' : `${webUrl}/api/v3`;
      providers.push({
        kind: 'github',
        id: 'github',
        label: 'GitHub',
        webUrl,
        apiUrl: trimSlash(env.GITHUB_API_URL ?? defaultApi),
        clientId: env.GITHUB_CLIENT_ID,
        clientSecret: env.GITHUB_CLIENT_SECRET,
      });
    }
  }
  if (problems.length > 0) throw new Error(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return providers;
}

export const signInConfig = registerAs('signIn', (): SignInConfig => ({ providers: signInProvidersFrom(process.env) }));
