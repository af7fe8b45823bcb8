import { AuditLog } from '../common/audit/audit-log.service';
import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import type { AuthUser } from '../common/auth-user';
import { decodeCursor, Page, toPage } from '../common/pagination/cursor';
import { ApiKey } from './api-key.entity';
import { ApiKeyNotFoundError, InvalidApiKeyError, TooManyApiKeysError } from './api-keys.errors';
import { ApiKeysRepository } from './api-keys.repository';

export const API_KEY_PREFIX = 'ck_';
/** Shown in lists: `ck_` and the next 8 characters, too few to guess the rest from. */
const DISPLAY_PREFIX_LENGTH = API_KEY_PREFIX.length + 8;
export const MAX_KEYS_PER_USER = 50;
/** Last use is recorded to the minute; finer would cost a write on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

export interface NewApiKey {
  name: string;
  expiresAt?: Date | null;
}

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly audit: AuditLog,
  ) {}

  /** Makes a key: 256 random bits after `ck_`. The key is returned here and never again. */
  async create(principal: AuthUser, input: NewApiKey): Promise<{ apiKey: ApiKey; key: string }> {
    const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const apiKey = await this.keys.insertWithinLimit(
      {
        userId: principal.id,
        name: input.name.trim(),
        prefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
        keyHash: hashApiKey(key),
        expiresAt: input.expiresAt ?? null,
      },
      MAX_KEYS_PER_USER,
      (manager, saved) =>
        this.audit.record(
          {
            action: 'api_key.created',
            actorId: principal.id,
            targetType: 'api_key',
            targetId: saved.id,
            details: { name: saved.name, prefix: saved.prefix },
          },
          manager,
        ),
    );
    if (!apiKey) throw new TooManyApiKeysError(MAX_KEYS_PER_USER);
    return { apiKey, key };
  }

  async list(principal: AuthUser, limit: number, cursor?: string): Promise<Page<ApiKey>> {
    const rows = await this.keys.listPageForOwner(principal.id, limit, cursor ? decodeCursor(cursor) : undefined);
    return toPage(rows, limit, (key) => key.createdAt);
  }

  /** Deletes the key, so the next request made with it is refused. */
  async revoke(principal: AuthUser, id: string): Promise<void> {
    const revoked = await this.keys.deleteOwned(principal.id, id, (manager) =>
      this.audit.record(
        { action: 'api_key.revoked', actorId: principal.id, targetType: 'api_key', targetId: id },
        manager,
      ),
    );
    if (!revoked) throw new ApiKeyNotFoundError();
  }

  /** The caller a presented key stands for; refuses unknown, revoked and expired keys and disabled accounts. */
  async authenticate(presented: string | undefined): Promise<AuthUser> {
    if (!presented) {
      throw new InvalidApiKeyError('an API key is required: send it as `Authorization: Bearer ck_...`');
    }
    if (!presented.startsWith(API_KEY_PREFIX)) {
      throw new InvalidApiKeyError(
        'these routes take a personal API key (ck_...), not an access token; make one with POST /users/me/api-keys',
      );
    }
    // One read, on every request: a key revoked (by this process or any other) is refused on its next use.
    const now = new Date();
    const staleBefore = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
    const key = await this.keys.findLiveForRequest(hashApiKey(presented), now, staleBefore);
    if (!key) throw new InvalidApiKeyError('API key is invalid, expired or revoked');
    if (key.ownerDisabled) throw new InvalidApiKeyError('the account this API key belongs to is disabled');
    if (key.stale) await this.keys.touch(key.id, now, staleBefore);
    return key.owner;
  }
}
