import { registerAs } from '@nestjs/config';
import { validateEnv } from './env.validation';

export interface QuotasConfig {
  /** Output tokens reserved for a call that names no maximum of its own. */
  defaultMaxTokens: number;
}

export const quotasConfig = registerAs('quotas', (): QuotasConfig => ({
  defaultMaxTokens: validateEnv(process.env).QUOTA_DEFAULT_MAX_TOKENS,
}));
