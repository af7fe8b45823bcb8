import { bearer } from './auth';
import type { TestApp } from './create-test-app';

/**
 * Reads a cursor-paginated list to its end, following `nextCursor` as a client would: the ids in the order
 * served, and how many pages it took. Every page must be a 200 of at most `limit` items.
 */
export async function walkPages(
  t: TestApp,
  path: string,
  token: string,
  query: Record<string, string | number | boolean> & { limit: number },
): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res: { status: number; body: { items: { id: string }[]; nextCursor: string | null } } = await t
      .http()
      .get(path)
      .query(cursor ? { ...query, cursor } : query)
      .set(bearer(token));
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeLessThanOrEqual(query.limit);
    ids.push(...res.body.items.map((item) => item.id));
    cursor = res.body.nextCursor;
    pages += 1;
    expect(pages).toBeLessThan(1_000);
  } while (cursor);
  return { ids, pages };
}
