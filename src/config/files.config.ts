import { registerAs } from '@nestjs/config';
import { resolve } from 'node:path';
import { validateEnv } from './env.validation';

export interface FilesConfig {
  /** Absolute, so that a change of working directory cannot move where the bytes are looked for. */
  dir: string;
  maxBytes: number;
  quotaBytes: number;
  extractTimeoutMs: number;
}

export const filesConfig = registerAs('files', (): FilesConfig => {
  const env = validateEnv(process.env);
  return {
    dir: resolve(env.FILES_DIR),
    maxBytes: env.FILE_MAX_BYTES,
    quotaBytes: env.FILE_QUOTA_BYTES,
    extractTimeoutMs: env.FILE_EXTRACT_TIMEOUT_MS,
  };
});
