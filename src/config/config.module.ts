import { ConfigModule } from '@nestjs/config';
import { aiConfig } from './ai.config';
import { appConfig } from './app.config';
import { authConfig } from './auth.config';
import { databaseConfig } from './database.config';
import { filesConfig } from './files.config';
import { mailConfig } from './mail.config';
import { quotasConfig } from './quotas.config';
import { validateEnv } from './env.validation';
import { signInConfig, signInProvidersFrom } from './sign-in.config';

/** Reads `.env` and the environment once, fails fast on a bad value, and exposes the typed namespaces. */
export const AppConfigModule = ConfigModule.forRoot({
  isGlobal: true,
  cache: true,
  envFilePath: '.env',
  validate: (raw) => {
    validateEnv(raw);
    signInProvidersFrom(raw);
    return raw;
  },
  load: [appConfig, databaseConfig, authConfig, aiConfig, mailConfig, filesConfig, signInConfig, quotasConfig],
});
