import { DataSource } from 'typeorm';
import { ConversationsRepository } from '../../src/conversations/conversations.repository';
import { Conversation } from '../../src/conversations/entities/conversation.entity';
import { bearer, registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';

// PostgreSQL only: jest.config.js selects this file when DATABASE_URL names a PostgreSQL server.
describe('Plain-SQL reads on PostgreSQL', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('are prepared once per connection and then reused', async () => {
    const session = await registerUser(t);
    await t.http().post('/conversations').set(bearer(session.accessToken)).send({}).expect(201);
    // One connection, so that what it has prepared can be read back on it.
    const single = await new DataSource({ ...t.dataSource.options, extra: { max: 1 } }).initialize();
    try {
      const reader = new ConversationsRepository(single.getRepository(Conversation), single);
      const pages = [];
      for (let i = 0; i < 3; i++) pages.push(await reader.listPageForOwner(session.user.id, { archived: false }, 20));
      expect(pages.map((page) => page.length)).toEqual([1, 1, 1]);
      const prepared = await single.query<{ statement: string }[]>(
        "SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%FROM conversations c WHERE%'",
      );
      expect(prepared).toHaveLength(1);
    } finally {
      await single.destroy();
    }
  });
});
