import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { signInConfig } from '../config/sign-in.config';
import { SignInProviderNotFoundError } from './auth.errors';
import { GithubClient } from './github.client';
import { OidcClient } from './oidc.client';
import type { SignInProviderClient } from './sign-in-provider-client';

/** The sign-in providers configured (OIDC_PROVIDERS, GITHUB_CLIENT_ID), by id. */
@Injectable()
export class SignInProvidersService {
  private readonly clients = new Map<string, SignInProviderClient>();

  constructor(@Inject(signInConfig.KEY) config: ConfigType<typeof signInConfig>) {
    const logger = new Logger('SignIn');
    for (const settings of config.providers) {
      const client = settings.kind === 'github' ? new GithubClient(settings) : new OidcClient(settings);
      if (client instanceof OidcClient && client.insecure) {
        // Allowed for issuers on an internal network (a Keycloak over plain HTTP), but worth a word: tokens
        // and the client secret then travel unencrypted.
        logger.warn(
          `OIDC_${settings.id.toUpperCase()}_ISSUER is an http:// address: sign-ins with it are not encrypted`,
        );
      }
      this.clients.set(settings.id, client);
    }
  }

  list(): { id: string; label: string }[] {
    return [...this.clients.values()].map(({ id, label }) => ({ id, label }));
  }

  /** The provider with this id; none when it is not configured. */
  find(id: string): SignInProviderClient | undefined {
    return this.clients.get(id);
  }

  get(id: string): SignInProviderClient {
    const client = this.find(id);
    if (!client) throw new SignInProviderNotFoundError();
    return client;
  }
}
