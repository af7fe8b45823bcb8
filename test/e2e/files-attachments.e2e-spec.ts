import { randomUUID } from 'node:crypto';
import { DOCUMENT_BUDGET_CHARS } from '../../src/conversations/prompt';
import { bearer, registerUser } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { JPEG, pdf, PNG, upload } from '../support/files';
import { upstreamEnv } from '../support/upstream-env';
import { waitFor } from '../support/wait-for';
import { startFakeUpstream, type FakeUpstream } from '../fakes/fake-upstream';

interface ChatBody {
  messages: { role: string; content: unknown }[];
}

describe('Files attached to messages', () => {
  let upstream: FakeUpstream;
  let t: TestApp;
  let me: Awaited<ReturnType<typeof registerUser>>;

  beforeAll(async () => {
    // local-8k: a model the registry knows no larger budget for (8,000 tokens).
    upstream = await startFakeUpstream({ models: { openai: ['gpt-4o-mini', 'gpt-4o', 'local-8k'] } });
    t = await createTestApp(upstreamEnv(upstream));
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });
  beforeEach(async () => {
    upstream.reset();
    me = await registerUser(t);
  });

  const newConversation = async (token = me.accessToken, model = 'openai/gpt-4o-mini'): Promise<string> =>
    (await t.http().post('/conversations').set(bearer(token)).send({ model }).expect(201)).body.id as string;
  const send = (conversationId: string, body: Record<string, unknown>, token = me.accessToken) =>
    t.http().post(`/conversations/${conversationId}/messages`).set(bearer(token)).send(body);
  const uploadText = async (text: string, name = 'notes.txt', token = me.accessToken): Promise<string> =>
    (await upload(t, token, Buffer.from(text), name).expect(201)).body.id as string;
  /** The messages the model was sent, per chat request, in order. */
  const sentPrompts = () =>
    upstream.requests.filter((r) => r.path.endsWith('/chat/completions')).map((r) => (r.body as ChatBody).messages);
  /** The text of the last question sent (sent as text: these tests attach documents only). */
  const lastUserContent = () =>
    sentPrompts()
      .at(-1)!
      .filter((m) => m.role === 'user')
      .at(-1)!.content as string;

  it("sends a document's text to the model with the question, and lists the file on the message", async () => {
    const conversationId = await newConversation();
    const fileId = await uploadText('The launch code is 0000.\nKeep it safe.');

    const res = await send(conversationId, { content: 'What is the launch code?', fileIds: [fileId] }).expect(201);

    expect(res.body.userMessage.attachments).toEqual([
      expect.objectContaining({
        id: fileId,
        name: 'notes.txt',
        mimeType: 'text/plain',
        kind: 'document',
        status: 'ready',
      }),
    ]);
    expect(res.body.assistantMessage.attachments).toEqual([]);
    expect(lastUserContent()).toBe(
      '<document name="notes.txt" type="text/plain">\nThe launch code is 0000.\nKeep it safe.\n</document>\n\n' +
        'What is the launch code?',
    );
    expect(
      await t.query('SELECT position, file_id FROM message_attachments WHERE message_id = ?', [
        res.body.userMessage.id,
      ]),
    ).toEqual([{ position: 0, file_id: fileId }]);
    const history = await t
      .http()
      .get(`/conversations/${conversationId}/messages`)
      .set(bearer(me.accessToken))
      .expect(200);
    expect(history.body.items.map((m: { attachments: { id: string }[] }) => m.attachments.map((a) => a.id))).toEqual([
      [fileId],
      [],
    ]);
  });

  it('sends the document again with its message on the next turns', async () => {
    const conversationId = await newConversation();
    const fileId = await uploadText('alpha beta gamma', 'words.md');
    await send(conversationId, { content: 'Read this.', fileIds: [fileId] }).expect(201);

    await send(conversationId, { content: 'And the second word?' }).expect(201);

    const [first, second] = sentPrompts();
    expect(second.slice(0, first.length)).toEqual(first);
    expect(second[0]).toEqual({
      role: 'user',
      content: '<document name="words.md" type="text/markdown">\nalpha beta gamma\n</document>\n\nRead this.',
    });
    expect(second.at(-1)).toEqual({ role: 'user', content: 'And the second word?' });
  });

  it('keeps the order of several files and sends the text read from a PDF', async () => {
    const conversationId = await newConversation();
    const first = await uploadText('first file');
    const pdfId = (await upload(t, me.accessToken, pdf('Quarterly numbers went up'), 'q3.pdf').expect(201)).body.id;
    await waitFor(
      () => t.http().get(`/files/${pdfId}`).set(bearer(me.accessToken)),
      (res) => res.body.status !== 'processing',
      20_000,
    );

    const res = await send(conversationId, { content: 'Compare.', fileIds: [pdfId, first] }).expect(201);

    expect(res.body.userMessage.attachments.map((a: { id: string }) => a.id)).toEqual([pdfId, first]);
    const content = lastUserContent();
    expect(content.indexOf('<document name="q3.pdf" type="application/pdf">')).toBe(0);
    expect(content).toContain('Quarterly numbers went up');
    expect(content.indexOf('Quarterly')).toBeLessThan(content.indexOf('first file'));
  });

  it('cuts documents past the budget, newest message first, and tells the model where', async () => {
    const conversationId = await newConversation();
    const older = await uploadText('old '.repeat(10), 'old.txt');
    await send(conversationId, { content: 'Keep this.', fileIds: [older] }).expect(201);
    // Larger than the 1 MiB body limit of the JSON routes: uploads have their own.
    const length = 1536 * 1024;
    const big = await uploadText(
      '1'.repeat(DOCUMENT_BUDGET_CHARS - 100) + '2'.repeat(length - DOCUMENT_BUDGET_CHARS + 100),
      'big.txt',
    );

    await send(conversationId, { content: 'Summarise.', fileIds: [big] }).expect(201);

    const [question, earlier] = [lastUserContent(), sentPrompts().at(-1)![0].content];
    expect(question).toContain(`${'1'.repeat(DOCUMENT_BUDGET_CHARS - 100)}${'2'.repeat(100)}\n[Cut here: `);
    expect(question).not.toContain('2'.repeat(101));
    expect(question).toContain(`[Cut here: ${DOCUMENT_BUDGET_CHARS} of the document's ${length} characters`);
    // The older message's document came after the budget was spent.
    expect(earlier).toContain('<document name="old.txt" type="text/plain">\n[Left out: ');
    expect(earlier).not.toContain('old old');
  });

  it("keeps a smaller model's prompt within its budget: documents get half of it, and older messages make room", async () => {
    const conversationId = await newConversation(me.accessToken, 'openai/local-8k');
    await send(conversationId, { content: 'a'.repeat(20_000) }).expect(201);
    const fileId = await uploadText('d'.repeat(40_000), 'long.txt');

    await send(conversationId, { content: 'Summarise.', fileIds: [fileId] }).expect(201);

    const question = lastUserContent();
    expect(question.length).toBeLessThan(14_500);
    expect(question).toContain("[Cut here: 14000 of the document's 40000 characters are included");
    const sent = sentPrompts().at(-1)!;
    // 8,000 tokens at the 3.5 characters a token the budget counts.
    expect(sent.reduce((chars, m) => chars + (m.content as string).length, 0)).toBeLessThanOrEqual(28_000);
    expect(sent.map((m) => m.role)).toEqual(['user']);
  });

  it('sends the documents again when the answer is regenerated', async () => {
    const conversationId = await newConversation();
    const fileId = await uploadText('regenerate me');
    const sent = await send(conversationId, { content: 'Once more.', fileIds: [fileId] }).expect(201);

    const again = await t
      .http()
      .post(`/conversations/${conversationId}/messages/${sent.body.userMessage.id}/regenerate`)
      .set(bearer(me.accessToken))
      .send({})
      .expect(201);

    expect(again.body.userMessage.attachments).toEqual([expect.objectContaining({ id: fileId })]);
    const [first, second] = sentPrompts();
    expect(second).toEqual(first);
    expect(lastUserContent()).toContain('regenerate me');
  });

  it('sends images to the model as image parts, on this turn and the next', async () => {
    const conversationId = await newConversation();
    const image = (await upload(t, me.accessToken, PNG, 'chart.png').expect(201)).body.id;

    const res = await send(conversationId, { content: 'What does it show?', fileIds: [image] }).expect(201);
    await send(conversationId, { content: 'And its colour?' }).expect(201);

    expect(res.body.userMessage.attachments).toEqual([expect.objectContaining({ id: image, kind: 'image' })]);
    const asked = [
      { type: 'text', text: 'What does it show?' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}` } },
    ];
    const [first, second] = sentPrompts();
    expect(first.at(-1)).toEqual({ role: 'user', content: asked });
    expect(second[0]).toEqual({ role: 'user', content: asked });
    expect(second.at(-1)).toEqual({ role: 'user', content: 'And its colour?' });
  });

  it("sends an image in Anthropic's base64 source to an Anthropic-format model", async () => {
    const conversationId = await newConversation(me.accessToken, 'anthropic/claude-sonnet-4-5');
    const image = (await upload(t, me.accessToken, JPEG, 'photo.jpg').expect(201)).body.id;

    await send(conversationId, { content: 'Who is this?', fileIds: [image] }).expect(201);

    const sent = upstream.requests.find((r) => r.path.endsWith('/v1/messages'))!.body as ChatBody;
    expect(sent.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Who is this?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: JPEG.toString('base64') } },
        ],
      },
    ]);
  });

  it('names instead of sending an image over Anthropic’s 5 MB limit, so the turn and later ones still work', async () => {
    const conversationId = await newConversation(me.accessToken, 'anthropic/claude-sonnet-4-5');
    // A PNG's signature and header, then padding: its type comes from the bytes, its size is what counts here.
    // 4 MiB of bytes: under 5 MB, but its base64 text, which is what the provider counts, is over.
    const large = Buffer.concat([PNG, Buffer.alloc(4 * 1024 * 1024)]);
    const image = (await upload(t, me.accessToken, large, 'scan.png').expect(201)).body.id;

    await send(conversationId, { content: 'Read this.', fileIds: [image] }).expect(201);

    const sent = upstream.requests.find((r) => r.path.endsWith('/v1/messages'))!.body as ChatBody;
    expect(sent.messages).toEqual([
      {
        role: 'user',
        content: [
          {
            type: 'text',
            text: '[Attached image "scan.png" left out: it is larger than this model takes (5 MB as base64).]\n\nRead this.',
          },
        ],
      },
    ]);
  });

  it("answers 400 with the provider's reason when the model refuses images, on /v1 too", async () => {
    const conversationId = await newConversation();
    const image = (await upload(t, me.accessToken, PNG, 'chart.png').expect(201)).body.id;
    upstream.fail({ status: 400, message: 'this model does not support image input' });

    const res = await send(conversationId, { content: 'What is it?', fileIds: [image] }).expect(400);

    expect(res.body).toMatchObject({
      statusCode: 400,
      code: 'UPSTREAM_REJECTED',
      message: expect.stringContaining('this model does not support image input'),
    });
    const key = (await t.http().post('/users/me/api-keys').set(bearer(me.accessToken)).send({ name: 'k' }).expect(201))
      .body.key as string;
    upstream.fail({ status: 400, message: 'this model does not support image input' });
    const v1 = await t
      .http()
      .post('/v1/chat/completions')
      .set(bearer(key))
      .send({
        model: 'openai/gpt-4o-mini',
        messages: [
          {
            role: 'user',
            content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}` } }],
          },
        ],
      })
      .expect(400);
    expect(v1.body.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'upstream_rejected',
      message: expect.stringContaining('does not support image input'),
    });
  });

  describe('refusals, with nothing stored', () => {
    const messageCount = async (conversationId: string) =>
      Number(
        (
          await t.query<{ n: number }>('SELECT count(*) AS n FROM messages WHERE conversation_id = ?', [conversationId])
        )[0].n,
      );

    it.each([
      [
        'more than 10 files',
        () => Array.from({ length: 11 }, () => randomUUID()),
        'fileIds must contain no more than 10',
      ],
      ['a file twice', () => ['a8b5fd1a-6f27-4a53-8fb4-5d1fb7fbd4c3', 'a8b5fd1a-6f27-4a53-8fb4-5d1fb7fbd4c3'], 'twice'],
      ['an id that is not a UUID', () => ['../../etc/passwd'], 'each of fileIds must be a file id'],
      ['a string instead of a list', () => 'not-a-list', 'fileIds'],
    ])('answers 400 for %s', async (_case, fileIds, mention) => {
      const conversationId = await newConversation();
      const res = await send(conversationId, { content: 'x', fileIds: fileIds() }).expect(400);
      expect(JSON.stringify(res.body.message)).toContain(mention);
      expect(await messageCount(conversationId)).toBe(0);
    });

    it("answers 404 for another user's file, and for an unknown one", async () => {
      const stranger = await registerUser(t);
      const theirs = await uploadText('private', 'secret.txt', stranger.accessToken);
      const conversationId = await newConversation();

      for (const fileId of [theirs, randomUUID()]) {
        const res = await send(conversationId, { content: 'x', fileIds: [fileId] }).expect(404);
        expect(res.body.code).toBe('FILE_NOT_FOUND');
      }
      expect(await messageCount(conversationId)).toBe(0);
      expect(sentPrompts()).toEqual([]);
    });

    it.each([
      ['processing', null, 'still being processed'],
      ['failed', 'the PDF has no text layer', 'could not be processed'],
    ])('answers 400 FILE_NOT_READY for a file that is %s', async (status, error, says) => {
      const fileId = await uploadText('soon');
      await t.query('UPDATE files SET status = ?, error = ? WHERE id = ?', [status, error, fileId]);
      const conversationId = await newConversation();

      const res = await send(conversationId, { content: 'x', fileIds: [fileId] }).expect(400);

      expect(res.body).toMatchObject({ code: 'FILE_NOT_READY', message: expect.stringContaining(says) });
      expect(await messageCount(conversationId)).toBe(0);
    });
  });

  it('deletes an attached file: its messages stay and no longer list it or send it to the model', async () => {
    const conversationId = await newConversation();
    const gone = await uploadText('delete me');
    const kept = await uploadText('keep me', 'kept.txt');
    const sent = await send(conversationId, { content: 'x', fileIds: [gone, kept] }).expect(201);

    await t.http().delete(`/files/${gone}`).set(bearer(me.accessToken)).expect(204);

    await t.http().get(`/files/${gone}`).set(bearer(me.accessToken)).expect(404);
    await t.http().get(`/files/${gone}/content`).set(bearer(me.accessToken)).expect(404);
    const history = await t.http().get(`/conversations/${conversationId}/messages`).set(bearer(me.accessToken));
    expect(history.body.items[0]).toMatchObject({ id: sent.body.userMessage.id, content: 'x' });
    expect(history.body.items[0].attachments).toEqual([expect.objectContaining({ id: kept })]);
    await send(conversationId, { content: 'And now?' }).expect(201);
    const firstQuestion = sentPrompts()
      .at(-1)!
      .find((m) => m.role === 'user')!.content as string;
    expect(firstQuestion).toContain('keep me');
    expect(firstQuestion).not.toContain('delete me');
  });

  it('deletes a file that a send is attaching at that moment: 204, and the message no longer lists it', async () => {
    const conversationId = await newConversation();
    const fileId = await uploadText('raced');
    const sent = await send(conversationId, { content: 'x' }).expect(201);
    const attach = `INSERT INTO message_attachments (message_id, position, file_id) VALUES (?, 0, ?)`;
    if (t.dataSource.options.type !== 'postgres') {
      // One transaction at a time: the attaching one has committed before the delete starts.
      await t.query(attach, [sent.body.userMessage.id, fileId]);
      await t.http().delete(`/files/${fileId}`).set(bearer(me.accessToken)).expect(204);
    } else {
      // The attaching transaction holds the file, as a send does, while the delete starts.
      const other = t.dataSource.createQueryRunner();
      await other.startTransaction();
      try {
        await other.query('SELECT id FROM files WHERE id = $1 FOR SHARE', [fileId]);
        await other.query(attach.replace('?, 0, ?', '$1, 0, $2'), [sent.body.userMessage.id, fileId]);
        const deleting = t
          .http()
          .delete(`/files/${fileId}`)
          .set(bearer(me.accessToken))
          .then((res) => res);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await other.commitTransaction();
        expect((await deleting).status).toBe(204);
      } finally {
        await other.release();
      }
    }
    expect(await t.query('SELECT file_id FROM message_attachments WHERE file_id = ?', [fileId])).toEqual([]);
    await t.http().get(`/files/${fileId}`).set(bearer(me.accessToken)).expect(404);
  });

  it('copies the attachments into a fork', async () => {
    const conversationId = await newConversation();
    const fileId = await uploadText('forked text');
    const sent = await send(conversationId, { content: 'x', fileIds: [fileId] }).expect(201);

    const fork = await t
      .http()
      .post(`/conversations/${conversationId}/fork`)
      .set(bearer(me.accessToken))
      .send({ messageId: sent.body.assistantMessage.id })
      .expect(201);

    const history = await t
      .http()
      .get(`/conversations/${fork.body.id}/messages`)
      .set(bearer(me.accessToken))
      .expect(200);
    expect(history.body.items[0].attachments).toEqual([expect.objectContaining({ id: fileId })]);
  });

  it('deletes an account whose messages have files attached, with the files', async () => {
    const conversationId = await newConversation();
    const fileId = await uploadText('mine');
    await send(conversationId, { content: 'x', fileIds: [fileId] }).expect(201);

    await t.http().delete('/users/me').set(bearer(me.accessToken)).send({ password: me.password }).expect(204);

    expect(await t.query('SELECT id FROM files WHERE id = ?', [fileId])).toEqual([]);
    expect(await t.query('SELECT file_id FROM message_attachments WHERE file_id = ?', [fileId])).toEqual([]);
  });
});
