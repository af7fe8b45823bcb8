import { bearer } from './auth';
import type { TestApp } from './create-test-app';

export interface CreatedApiKey {
  id: string;
  name: string;
  prefix: string;
  key: string;
  createdAt: string;
  expiresAt: string | null;
}

/** Makes a personal API key through the API, as a user would. */
export async function createApiKey(
  t: TestApp,
  accessToken: string,
  body: { name?: string; expiresAt?: string } = {},
): Promise<CreatedApiKey> {
  const res = await t
    .http()
    .post('/users/me/api-keys')
    .set(bearer(accessToken))
    .send({ name: 'test key', ...body })
    .expect(201);
  return res.body as CreatedApiKey;
}
