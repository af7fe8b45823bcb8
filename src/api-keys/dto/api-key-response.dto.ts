import { ApiKey } from '../api-key.entity';

export class ApiKeyResponseDto {
  id: string;
  /** @example "laptop scripts" */
  name: string;
  /** The start of the key, to recognise it by. @example "ck_3fA9xQ2b" */
  prefix: string;
  createdAt: string;
  /** Null until the key is first used; updated to the minute. */
  lastUsedAt: string | null;
  /** Null for a key that never expires. */
  expiresAt: string | null;

  static from(key: ApiKey): ApiKeyResponseDto {
    return {
      id: key.id,
      name: key.name,
      prefix: key.prefix,
      createdAt: key.createdAt.toISOString(),
      lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
      expiresAt: key.expiresAt?.toISOString() ?? null,
    };
  }
}

export class CreatedApiKeyResponseDto {
  id: string;
  name: string;
  /** @example "ck_3fA9xQ2b" */
  prefix: string;
  /**
   * The whole key. Shown only in this answer: store it now, it cannot be read again.
   * @example "ck_3fA9xQ2bV0dTqkU4yJ8mW1nE6rZcLpHsGaXoIi7BtNf"
   */
  key: string;
  createdAt: string;
  expiresAt: string | null;

  static from(apiKey: ApiKey, key: string): CreatedApiKeyResponseDto {
    return {
      id: apiKey.id,
      name: apiKey.name,
      prefix: apiKey.prefix,
      key,
      createdAt: apiKey.createdAt.toISOString(),
      expiresAt: apiKey.expiresAt?.toISOString() ?? null,
    };
  }
}

export class ApiKeysPageResponseDto {
  items: ApiKeyResponseDto[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}
