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

/** One plain /v1 call to the built-in echo model with the key, as a tool using it would make: answered 200. */
export async function completeWithEcho(t: TestApp, key: string, content: string): Promise<void> {
  await t
    .http()
    .post('/v1/chat/completions')
    .set(bearer(key))
    .send({ model: 'echo/echo', messages: [{ role: 'user', content }] })
    .expect(200);
}
