import { randomUUID } from 'node:crypto';
import type { Test } from 'supertest';
import { once } from 'node:events';
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { TextExtractor } from '../../src/files/extraction/text-extractor.service';
import { bearer, registerUser, type Session } from '../support/auth';
import { createTestApp, TestApp } from '../support/create-test-app';
import { docx, EXE, filesUnder, GIF, JPEG, pdf, PNG, upload, WEBP, zipBombDocx } from '../support/files';
import { waitFor } from '../support/wait-for';

const MAX_BYTES = 200 * 1024;
const QUOTA_BYTES = 500 * 1024;

interface FileBody {
  id: string;
  name: string;
  mimeType: string;
  size: number;
  kind: string;
  status: string;
  error: string | null;
  textChars: number | null;
  createdAt: string;
}

describe('Files', () => {
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    dir = process.env.FILES_DIR!;
    t = await createTestApp({ FILE_MAX_BYTES: String(MAX_BYTES), FILE_QUOTA_BYTES: String(QUOTA_BYTES) });
  });
  afterAll(() => t.close());

  const getFile = (token: string, id: string) => t.http().get(`/files/${id}`).set(bearer(token));
  const content = (token: string, id: string) =>
    t
      .http()
      .get(`/files/${id}/content`)
      .set(bearer(token))
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
  /** The file once its text has been read (or not). */
  const settled = async (token: string, id: string): Promise<FileBody> =>
    (
      await waitFor(
        () => getFile(token, id),
        (res) => res.body.status !== 'processing',
        20_000,
      )
    ).body as FileBody;
  const stored = (id: string) =>
    t.query<{ owner_id: string; name: string; size: number }>('SELECT owner_id, name, size FROM files WHERE id = ?', [
      id,
    ]);

  describe('uploading each kind', () => {
    let me: Session;
    beforeAll(async () => {
      me = await registerUser(t);
    });

    it.each([
      ['photo.png', 'image/png', PNG],
      ['photo.jpg', 'image/jpeg', JPEG],
      ['anim.gif', 'image/gif', GIF],
      ['pic.webp', 'image/webp', WEBP],
    ])('stores the image %s as %s, ready, and serves it back inline with that type', async (name, mimeType, bytes) => {
      const res = await upload(t, me.accessToken, bytes, name).expect(201);

      expect(res.body).toEqual({
        id: expect.any(String),
        name,
        mimeType,
        size: bytes.length,
        kind: 'image',
        status: 'ready',
        error: null,
        textChars: null,
        createdAt: expect.any(String),
      });
      expect(await stored(res.body.id)).toEqual([{ owner_id: me.user.id, name, size: bytes.length }]);
      expect(existsSync(join(dir, res.body.id.slice(0, 2), res.body.id))).toBe(true);
      const served = await content(me.accessToken, res.body.id).expect(200);
      expect(served.headers['content-type']).toBe(mimeType);
      expect(served.headers['x-content-type-options']).toBe('nosniff');
      expect(served.headers['content-disposition']).toBe(`inline; filename="${name}"; filename*=UTF-8''${name}`);
      expect(served.headers['content-security-policy']).toMatch(/^sandbox/);
      expect(Buffer.compare(served.body as Buffer, bytes)).toBe(0);
    });

    it.each([
      ['notes.txt', 'text/plain', 'plain words\nand more'],
      ['README.md', 'text/markdown', '# Title\n\n*some* markdown'],
      ['table.csv', 'text/csv', 'a,b\n1,2\n'],
      ['data.json', 'application/json', '{"a": [1, 2, 3]}'],
      ['main.py', 'text/plain', 'def main():\n    print("héllo")\n'],
    ])(
      'stores the text document %s as %s, ready with its length, and serves it as an attachment',
      async (name, mimeType, text) => {
        const res = await upload(t, me.accessToken, Buffer.from(text), name, 'image/png').expect(201);

        expect(res.body).toMatchObject({ name, mimeType, kind: 'document', status: 'ready', textChars: text.length });
        const served = await content(me.accessToken, res.body.id).expect(200);
        expect(served.headers['content-type']).toBe(`${mimeType}; charset=utf-8`);
        expect(served.headers['content-disposition']).toMatch(/^attachment; /);
        expect((served.body as Buffer).toString('utf8')).toBe(text);
      },
    );

    it('reads the text of a PDF in the background: processing, then ready with its length', async () => {
      const res = await upload(t, me.accessToken, pdf('Hello from a PDF'), 'report.pdf').expect(201);
      expect(res.body).toMatchObject({
        mimeType: 'application/pdf',
        kind: 'document',
        status: 'processing',
        textChars: null,
      });

      const file = await settled(me.accessToken, res.body.id);

      expect(file).toMatchObject({ status: 'ready', error: null });
      expect(file.textChars).toBeGreaterThanOrEqual('Hello from a PDF'.length);
      const served = await content(me.accessToken, res.body.id).expect(200);
      expect(served.headers['content-type']).toBe('application/pdf');
      expect(served.headers['content-disposition']).toBe(
        `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`,
      );
    });

    it('marks a PDF without a text layer failed, saying so', async () => {
      const res = await upload(t, me.accessToken, pdf(), 'scan.pdf').expect(201);

      const file = await settled(me.accessToken, res.body.id);

      expect(file).toMatchObject({ status: 'failed', textChars: null });
      expect(file.error).toMatch(/no text layer/);
    });

    it('reads the text of a DOCX', async () => {
      const res = await upload(t, me.accessToken, await docx(['First paragraph.', 'Second one.']), 'memo.docx').expect(
        201,
      );
      expect(res.body).toMatchObject({
        mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        status: 'processing',
      });

      const file = await settled(me.accessToken, res.body.id);

      expect(file).toMatchObject({ status: 'ready', error: null });
      expect(file.textChars).toBe('First paragraph.\n\nSecond one.\n\n'.length);
    });

    it('keeps the extension of a name cut to 255 characters, and so its type', async () => {
      const res = await upload(t, me.accessToken, Buffer.from('# Notes'), `${'n'.repeat(300)}.md`).expect(201);

      expect(res.body).toMatchObject({ name: `${'n'.repeat(252)}.md`, mimeType: 'text/markdown' });
    });

    it('lists the files newest first, a page at a time', async () => {
      const other = await registerUser(t);
      const ids: string[] = [];
      for (const name of ['a.txt', 'b.txt', 'c.txt']) {
        ids.push((await upload(t, other.accessToken, Buffer.from(name), name).expect(201)).body.id);
      }

      const first = await t.http().get('/files?limit=2').set(bearer(other.accessToken)).expect(200);
      const second = await t
        .http()
        .get(`/files?limit=2&cursor=${first.body.nextCursor}`)
        .set(bearer(other.accessToken))
        .expect(200);

      expect(first.body.items.map((f: FileBody) => f.id)).toEqual([ids[2], ids[1]]);
      expect(second.body).toEqual({
        items: [expect.objectContaining({ id: ids[0], name: 'a.txt' })],
        nextCursor: null,
      });
    });

    it('deletes a file with its bytes', async () => {
      const res = await upload(t, me.accessToken, PNG, 'gone.png').expect(201);
      const path = join(dir, res.body.id.slice(0, 2), res.body.id);
      expect(existsSync(path)).toBe(true);

      await t.http().delete(`/files/${res.body.id}`).set(bearer(me.accessToken)).expect(204);

      expect(existsSync(path)).toBe(false);
      await getFile(me.accessToken, res.body.id).expect(404);
      expect(await stored(res.body.id)).toEqual([]);
    });
  });

  describe('hostile uploads', () => {
    let me: Session;
    beforeAll(async () => {
      me = await registerUser(t);
    });

    it.each([
      ['an executable named .png', EXE, 'invoice.png'],
      ['a zip that is not a DOCX', Buffer.from('504b0506000000000000000000000000000000000000', 'hex'), 'x.docx'],
      ['invalid UTF-8 named .txt', Buffer.from([0x68, 0x69, 0xff, 0xfe, 0x21]), 'notes.txt'],
      ['text with NUL bytes', Buffer.from('abc\u0000def'), 'a.txt'],
      ['an empty file', Buffer.alloc(0), 'empty.txt'],
    ])('refuses %s with 400 and keeps nothing', async (_case, bytes, name) => {
      const before = filesUnder(dir);

      const res = await upload(t, me.accessToken, bytes, name, 'image/png').expect(400);

      expect(res.body.code).toBe('UNSUPPORTED_FILE_TYPE');
      expect(filesUnder(dir)).toEqual(before);
    });

    it('stores HTML named .png as a text document and serves it as a plain-text download, never as HTML', async () => {
      const html = '<html><body><script>alert(document.cookie)</script></body></html>';

      const res = await upload(t, me.accessToken, Buffer.from(html), 'cat.png', 'image/png').expect(201);

      expect(res.body).toMatchObject({ kind: 'document', mimeType: 'text/plain', status: 'ready' });
      const served = await content(me.accessToken, res.body.id).expect(200);
      expect(served.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(served.headers['x-content-type-options']).toBe('nosniff');
      expect(served.headers['content-disposition']).toMatch(/^attachment; filename="cat.png"/);
      expect(served.headers['content-security-policy']).toMatch(/^sandbox/);
    });

    it('serves an .html upload as text/plain too', async () => {
      const res = await upload(
        t,
        me.accessToken,
        Buffer.from('<svg onload="alert(1)"/>'),
        'x.svg',
        'image/svg+xml',
      ).expect(201);
      const served = await content(me.accessToken, res.body.id).expect(200);
      expect(served.headers['content-type']).toBe('text/plain; charset=utf-8');
    });

    it.each([
      ['../../x', 'x'],
      ['..\\..\\windows\\win.ini', 'win.ini'],
      ['/etc/passwd', 'passwd'],
      ['..', 'file'],
      ['invoice\u202Efdp.exe', 'invoice_fdp.exe'],
      ['tab\there:name?.txt', 'tab_here_name_.txt'],
      ['rapport-été.txt', 'rapport-été.txt'],
    ])('keeps the name %j only as display text %j, never as a path', async (name, shown) => {
      const before = filesUnder(dir);

      const res = await upload(t, me.accessToken, Buffer.from('text'), name).expect(201);

      expect(res.body.name).toBe(shown);
      const added = filesUnder(dir).filter((path) => !before.includes(path));
      expect(added).toEqual([join(res.body.id.slice(0, 2), res.body.id)]);
      const served = await content(me.accessToken, res.body.id).expect(200);
      expect(served.headers['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent(shown)}`);
    });

    it('refuses a file over FILE_MAX_BYTES with 413 and leaves nothing on disk', async () => {
      const before = filesUnder(dir);

      const res = await upload(t, me.accessToken, Buffer.alloc(MAX_BYTES + 1, 'a'), 'big.txt').expect(413);

      expect(res.body.code).toBe('FILE_TOO_LARGE');
      expect(filesUnder(dir)).toEqual(before);
      await upload(t, me.accessToken, Buffer.alloc(MAX_BYTES, 'a'), 'just-fits.txt').expect(201);
    });

    it('leaves nothing on disk when the client goes away mid-upload', async () => {
      const before = filesUnder(dir);
      const boundary = 'colloquy-test-boundary';
      const socket = connect(Number(new URL(t.url).port), '127.0.0.1');
      await once(socket, 'connect');
      socket.write(
        [
          'POST /files HTTP/1.1',
          'Host: 127.0.0.1',
          `Authorization: Bearer ${me.accessToken}`,
          `Content-Type: multipart/form-data; boundary=${boundary}`,
          `Content-Length: ${MAX_BYTES}`,
          '',
          `--${boundary}`,
          'Content-Disposition: form-data; name="file"; filename="half.txt"',
          'Content-Type: text/plain',
          '',
          'a'.repeat(50_000),
        ].join('\r\n'),
      );
      // The part has begun arriving: a temporary file is being written.
      await waitFor(
        async () => filesUnder(dir).filter((path) => !before.includes(path)),
        (added) => added.length > 0,
      );

      socket.destroy();

      const after = await waitFor(
        async () => filesUnder(dir),
        (files) => files.length === before.length,
      );
      expect(after).toEqual(before);
      await t.http().get('/health').expect(200);
    });

    it("refuses what would pass the user's FILE_QUOTA_BYTES with 413, also when the uploads arrive together", async () => {
      const quota = await registerUser(t);
      const size = 150 * 1024;
      const before = filesUnder(dir);

      const results = await Promise.all(
        [1, 2, 3, 4, 5].map((n) => upload(t, quota.accessToken, Buffer.alloc(size, String(n)), `${n}.txt`)),
      );

      expect(results.map((res) => res.status).sort()).toEqual([201, 201, 201, 413, 413]);
      for (const res of results.filter((r) => r.status === 413)) expect(res.body.code).toBe('FILE_QUOTA_EXCEEDED');
      const [{ used }] = await t.query<{ used: number }>('SELECT SUM(size) AS used FROM files WHERE owner_id = ?', [
        quota.user.id,
      ]);
      expect(Number(used)).toBe(3 * size);
      expect(filesUnder(dir).filter((path) => !before.includes(path))).toHaveLength(3);
      // Room again once a file is gone.
      await t
        .http()
        .delete(`/files/${results.find((r) => r.status === 201)!.body.id}`)
        .set(bearer(quota.accessToken))
        .expect(204);
      await upload(t, quota.accessToken, Buffer.alloc(size, 'x'), 'again.txt').expect(201);
    });

    it('calls a file over FILE_MAX_BYTES too large, also when it is over what is left of the quota too', async () => {
      const full = await registerUser(t);
      for (const n of [1, 2])
        await upload(t, full.accessToken, Buffer.alloc(MAX_BYTES, String(n)), `${n}.txt`).expect(201);
      const before = filesUnder(dir);

      const over = await upload(t, full.accessToken, Buffer.alloc(MAX_BYTES + 1, 'a'), 'big.txt').expect(413);
      const squeezed = await upload(t, full.accessToken, Buffer.alloc(QUOTA_BYTES - 2 * MAX_BYTES + 1, 'b'), 'b.txt');

      expect(over.body.code).toBe('FILE_TOO_LARGE');
      expect(squeezed.status).toBe(413);
      expect(squeezed.body.code).toBe('FILE_QUOTA_EXCEEDED');
      expect(filesUnder(dir)).toEqual(before);
    });

    it('marks a zip-bomb DOCX failed with a reason, without inflating it, and keeps answering', async () => {
      const bomb = await zipBombDocx(30);
      expect(bomb.length).toBeLessThan(MAX_BYTES);

      const res = await upload(t, me.accessToken, bomb, 'bomb.docx').expect(201);
      const file = await settled(me.accessToken, res.body.id);

      expect(file.status).toBe('failed');
      expect(file.error).toMatch(/zip bomb|unpack to more than/);
      await t.http().get('/health').expect(200);
    });

    it.each([
      ['a JSON body', (r: Test) => r.send({ file: 'x' })],
      ['a multipart body without a part named file', (r: Test) => r.attach('document', PNG, 'a.png')],
      ['a multipart body with only a text field', (r: Test) => r.field('file', 'not a file')],
      [
        'a multipart type without a boundary',
        (r: Test) => r.set('Content-Type', 'multipart/form-data').send('--x\r\n'),
      ],
      [
        'a part named __proto__',
        (r: Test) =>
          r
            .set('Content-Type', 'multipart/form-data; boundary=b')
            .send(
              '--b\r\nContent-Disposition: form-data; name="__proto__"; filename="a.txt"\r\n\r\nhello\r\n--b--\r\n',
            ),
      ],
    ])('refuses %s with 400 INVALID_UPLOAD', async (_case, body) => {
      const res = await body(t.http().post('/files').set(bearer(me.accessToken))).expect(400);
      expect(res.body.code).toBe('INVALID_UPLOAD');
    });

    it('refuses more parts than an upload has with 413', async () => {
      let req = t.http().post('/files').set(bearer(me.accessToken));
      for (let i = 0; i < 8; i++) req = req.field(`note${i}`, 'x');
      const res = await req.attach('file', PNG, 'a.png').expect(413);
      expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it.each([
      ['a second file after it', 413, 'PAYLOAD_TOO_LARGE', (r: Test) => r.attach('more', PNG, 'b.png')],
      ['a second part named file', 413, 'PAYLOAD_TOO_LARGE', (r: Test) => r.attach('file', PNG, 'b.png')],
      ['a field after it', 400, 'INVALID_UPLOAD', (r: Test) => r.field('caption', 'x')],
    ])('refuses a file with %s, keeping nothing', async (_case, status, code, more) => {
      const someone = await registerUser(t);
      const before = filesUnder(dir);

      const res = await more(upload(t, someone.accessToken, Buffer.from('hello'), 'a.txt')).expect(status);

      expect(res.body.code).toBe(code);
      if (status === 400) expect(res.body.message).toContain('"caption"');
      expect(await t.query('SELECT id FROM files WHERE owner_id = ?', [someone.user.id])).toEqual([]);
      expect(filesUnder(dir)).toEqual(before);
    });

    it('refuses a field before the file with 400 naming it, keeping nothing', async () => {
      const before = filesUnder(dir);

      const res = await t
        .http()
        .post('/files')
        .set(bearer(me.accessToken))
        .field('purpose', 'x')
        .attach('file', PNG, 'a.png')
        .expect(400);

      expect(res.body.code).toBe('INVALID_UPLOAD');
      expect(res.body.message).toContain('"purpose"');
      expect(filesUnder(dir)).toEqual(before);
    });

    it('refuses a multipart body cut short with 400 INVALID_UPLOAD, keeping nothing', async () => {
      const before = filesUnder(dir);
      const boundary = 'cut-short';

      const res = await t
        .http()
        .post('/files')
        .set(bearer(me.accessToken))
        .set('Content-Type', `multipart/form-data; boundary=${boundary}`)
        .send(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nno closing boundary`,
        )
        .expect(400);

      expect(res.body.code).toBe('INVALID_UPLOAD');
      expect(filesUnder(dir)).toEqual(before);
    });

    it('keeps the 1 MiB body limit on other routes', async () => {
      const res = await t
        .http()
        .post('/conversations')
        .set(bearer(me.accessToken))
        .send({ title: 'x'.repeat(1024 * 1024 + 10) })
        .expect(413);
      expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
    });
  });

  describe("another user's file", () => {
    it('is 404 on every route, and stays', async () => {
      const owner = await registerUser(t);
      const stranger = await registerUser(t);
      const { body } = await upload(t, owner.accessToken, PNG, 'mine.png').expect(201);

      await getFile(stranger.accessToken, body.id).expect(404);
      await content(stranger.accessToken, body.id).expect(404);
      await t.http().delete(`/files/${body.id}`).set(bearer(stranger.accessToken)).expect(404);
      const list = await t.http().get('/files').set(bearer(stranger.accessToken)).expect(200);
      expect(list.body.items).toEqual([]);
      await getFile(owner.accessToken, body.id).expect(200);
      await getFile(owner.accessToken, randomUUID()).expect(404);
    });
  });

  describe('deleting the account', () => {
    it("removes the account's files and their bytes (and extracted text) from disk", async () => {
      const me = await registerUser(t);
      const image = (await upload(t, me.accessToken, PNG, 'a.png').expect(201)).body.id as string;
      const doc = (await upload(t, me.accessToken, await docx(['words']), 'b.docx').expect(201)).body.id as string;
      await settled(me.accessToken, doc);
      const paths = [image, doc].map((id) => join(dir, id.slice(0, 2), id));
      expect(paths.concat(`${paths[1]}.txt`).every((path) => existsSync(path))).toBe(true);

      await t.http().delete('/users/me').set(bearer(me.accessToken)).send({ password: me.password }).expect(204);

      expect(paths.concat(`${paths[1]}.txt`).filter((path) => existsSync(path))).toEqual([]);
      expect(await t.query('SELECT id FROM files WHERE owner_id = ?', [me.user.id])).toEqual([]);
    });
  });

  it('reads again, at start, the documents a stopped server left processing, and removes its abandoned uploads', async () => {
    const me = await registerUser(t);
    const { body } = await upload(t, me.accessToken, await docx(['after a restart']), 'r.docx').expect(201);
    await settled(me.accessToken, body.id);
    // As a process that stopped mid-extraction leaves it.
    await t.query("UPDATE files SET status = 'processing', text_chars = NULL WHERE id = ?", [body.id]);

    // And an upload it had not finished, hours ago.
    const abandoned = join(dir, 'tmp', `${randomUUID()}.part`);
    writeFileSync(abandoned, 'half an upload');
    utimesSync(abandoned, new Date(Date.now() - 3 * 3_600_000), new Date(Date.now() - 3 * 3_600_000));
    const recent = join(dir, 'tmp', `${randomUUID()}.part`);
    writeFileSync(recent, 'an upload another process is receiving');

    const restarted = await createTestApp({}, { databaseUrl: t.databaseUrl });
    try {
      await restarted.app.get(TextExtractor).whenIdle();
      const file = await restarted.http().get(`/files/${body.id}`).set(bearer(me.accessToken)).expect(200);
      expect(file.body).toMatchObject({ status: 'ready', textChars: 'after a restart\n\n'.length });
      expect([existsSync(abandoned), existsSync(recent)]).toEqual([false, true]);
    } finally {
      await restarted.close();
    }
  });

  it('stops a worker that takes longer than FILE_EXTRACT_TIMEOUT_MS and marks the file failed', async () => {
    // Last: the environment a test app is given stays set for later ones in this file.
    const hurried = await createTestApp({ FILE_EXTRACT_TIMEOUT_MS: '100' }, { databaseUrl: t.databaseUrl });
    try {
      const me = await registerUser(hurried);
      // Tens of thousands of paragraphs: far more than 100 ms of work wherever the suite runs.
      const paragraphs = Array.from({ length: 30_000 }, (_, i) => `paragraph number ${i}`);
      const { body } = await upload(hurried, me.accessToken, await docx(paragraphs), 'slow.docx').expect(201);

      const file = await waitFor(
        () => hurried.http().get(`/files/${body.id}`).set(bearer(me.accessToken)),
        (res) => res.body.status !== 'processing',
        10_000,
      );

      expect(file.body).toMatchObject({ status: 'failed', error: 'reading the document took longer than 100 ms' });
      await hurried.http().get('/health').expect(200);
    } finally {
      await hurried.close();
    }
  });
});
