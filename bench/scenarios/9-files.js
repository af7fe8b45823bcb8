'use strict';
// Scenario 9: uploads and text extraction: an upload's throughput next to writing the same bytes to disk, memory
// while many large uploads run at once, and how long a 100-page PDF takes to read with the event loop meanwhile.
const { Buffer } = require('node:buffer');
const { randomBytes } = require('node:crypto');
const { createWriteStream, mkdtempSync, rmSync } = require('node:fs');
const http = require('node:http');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { createDatabase, migrate } = require('../support/database');
const { check } = require('../support/report');
const { seed } = require('../support/seed');
const { startApp, login, request } = require('../support/server');
const { median, nowMs, progress, sleep } = require('../support/util');

const MiB = 1024 * 1024;
/** Written in pieces of this size, by the client and by the direct reference alike. */
const PIECE = 64 * 1024;

/** Sends `bytes` as a multipart upload, piece by piece; answers { ms, status, body }. */
function upload(url, token, name, bytes) {
  return new Promise((resolve, reject) => {
    const boundary = `bench${randomBytes(8).toString('hex')}`;
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const started = nowMs();
    const req = http.request(`${url}/files`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': head.length + bytes.length + tail.length,
      },
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (text) => (body += text));
      res.on('end', () => resolve({ ms: nowMs() - started, status: res.statusCode, body }));
    });
    req.on('error', reject);
    (async () => {
      req.write(head);
      for (let at = 0; at < bytes.length; at += PIECE) {
        if (!req.write(bytes.subarray(at, at + PIECE))) await new Promise((resolve) => req.once('drain', resolve));
      }
      req.end(tail);
    })().catch(reject);
  });
}

/** Writes `bytes` to a new file in `dir` piece by piece, as a stream does; answers the time taken in ms. */
async function writeDirect(dir, bytes) {
  const path = join(dir, `direct-${randomBytes(4).toString('hex')}`);
  const started = nowMs();
  const out = createWriteStream(path);
  for (let at = 0; at < bytes.length; at += PIECE) {
    if (!out.write(bytes.subarray(at, at + PIECE))) await new Promise((resolve) => out.once('drain', resolve));
  }
  await new Promise((resolve, reject) => out.end((error) => (error ? reject(error) : resolve())));
  const ms = nowMs() - started;
  rmSync(path);
  return ms;
}

/** A PDF of `pages` pages, each with a few lines of text, written by hand (no library in the benchmark). */
function pdfOf(pages) {
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>', null, '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'];
  const kids = [];
  for (let page = 1; page <= pages; page++) {
    const lines = Array.from(
      { length: 30 },
      (_, line) => `(Page ${page}, line ${line + 1}: the quarterly figures went up and to the right.) Tj 0 -20 Td`,
    );
    const content = `BT /F1 11 Tf 40 760 Td ${lines.join(' ')} ET`;
    objects.push(`<< /Length ${content.length} >>\nstream\n${content}\nendstream`);
    const contentRef = objects.length;
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> ` +
        `/Contents ${contentRef} 0 R >>`,
    );
    kids.push(`${objects.length} 0 R`);
  }
  objects[1] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${pages} >>`;
  let out = '%PDF-1.4\n';
  const offsets = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** Runs `work` while sampling the server's resident memory every 25 ms; answers the peak with the result. */
async function peakRssDuring(app, work) {
  let peak = app.rss() ?? 0;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      peak = Math.max(peak, app.rss() ?? 0);
      await sleep(25);
    }
  })();
  try {
    return { result: await work(), peak };
  } finally {
    done = true;
    await sampler;
  }
}

async function run(ctx) {
  const runs = ctx.quick ? 3 : 7;
  const concurrent = 20;
  const big = 20 * MiB;
  const small = 2 * MiB;
  const database = await createDatabase('s9');
  const filesDir = mkdtempSync(join(tmpdir(), 'colloquy-bench-files-'));
  let app;
  try {
    await migrate(database);
    const seeded = await seed(database, { messages: 100, users: 4, heavyConversations: 2, longConversation: false });
    app = await startApp(database, {
      env: { FILES_DIR: filesDir, FILE_MAX_BYTES: String(32 * MiB), FILE_QUOTA_BYTES: String(64 * 1024 * MiB) },
    });
    const token = await login(app.url, seeded.heavy.email, seeded.password);
    // Random bytes are no type the server takes: a text file of 20 MiB is, and is ready at once.
    const textOf = (size) => Buffer.alloc(size, 'All work and no play makes a dull upload.\n');
    const bytes = textOf(big);

    progress(`scenario 9: ${runs} uploads of 20 MiB, each next to writing the same bytes to disk`);
    // Each upload is deleted once timed, as the direct reference removes its file: neither run then finds the
    // disk busy writing back what the other left.
    const remove = (sent) =>
      request({
        method: 'DELETE',
        url: `${app.url}/files/${JSON.parse(sent.body).id}`,
        headers: { authorization: `Bearer ${token}` },
      });
    await remove(await upload(app.url, token, 'warm-up.txt', bytes));
    const samples = { upload: [], direct: [] };
    const statuses = [];
    for (let i = 0; i < runs; i++) {
      const sent = await upload(app.url, token, `big-${i}.txt`, bytes);
      statuses.push(sent.status);
      samples.upload.push(sent.ms);
      if (sent.status === 201) await remove(sent);
      samples.direct.push(await writeDirect(filesDir, bytes));
    }
    const uploadMiBs = big / MiB / (median(samples.upload) / 1000);
    const directMiBs = big / MiB / (median(samples.direct) / 1000);

    progress(`scenario 9: ${concurrent} uploads at once, of 2 MiB and then of 20 MiB, with the server's memory`);
    const burst = async (size) => {
      const data = textOf(size);
      await app.probe({ gc: true });
      const base = app.rss() ?? 0;
      const { result, peak } = await peakRssDuring(app, () =>
        Promise.all(Array.from({ length: concurrent }, (_, i) => upload(app.url, token, `burst-${i}.txt`, data))),
      );
      statuses.push(...result.map((sent) => sent.status));
      return { base, peak, growth: peak - base };
    };
    const smallBurst = await burst(small);
    const bigBurst = await burst(big);

    progress('scenario 9: text extraction of a 100-page PDF, with the event loop delay meanwhile');
    const pdf = pdfOf(100);
    await app.probe({ reset: true });
    const sent = await upload(app.url, token, 'report.pdf', pdf);
    statuses.push(sent.status);
    const id = JSON.parse(sent.body).id;
    const started = nowMs();
    let file;
    for (;;) {
      file = (await request({ url: `${app.url}/files/${id}`, headers: { authorization: `Bearer ${token}` } })).json;
      if (file.status !== 'processing') break;
      await sleep(10);
    }
    const extractionMs = nowMs() - started;
    const loop = (await app.probe({})).eventLoopDelay;
    const refused = statuses.filter((status) => status !== 201).length;

    return {
      notes: [
        `Uploads are multipart bodies written in ${PIECE / 1024} KiB pieces from the benchmark over loopback; the ` +
          'direct reference writes the same pieces to a file on the same disk; each file is deleted once timed. ' +
          'Throughput from the median of ' +
          `${runs} of each, alternating. Memory: the server's resident size sampled every 25 ms while ` +
          `${concurrent} uploads run at once, after a garbage collection. Extraction: from the upload's answer ` +
          "(status processing) until GET /files/:id says otherwise; the event-loop delay is the server's over " +
          'that upload and the extraction.',
        `the PDF: ${(pdf.length / 1024).toFixed(0)} KiB, 100 pages of 30 lines; it ended ${file.status}` +
          (file.error ? ` (${file.error})` : '') +
          `, ${file.textChars ?? 'no'} characters of text`,
      ],
      tables: [
        {
          title: 'A 20 MiB upload',
          columns: ['', 'p50 (ms)', 'MiB/s'],
          rows: [
            ['upload through the app', median(samples.upload), uploadMiBs],
            ['written to disk directly', median(samples.direct), directMiBs],
            ['ratio (app / direct)', null, uploadMiBs / directMiBs],
          ],
        },
        {
          title: `${concurrent} uploads at once`,
          columns: ['file size', 'RSS before (MiB)', 'RSS peak (MiB)', 'growth (MiB)'],
          rows: [
            ['2 MiB', smallBurst.base / MiB, smallBurst.peak / MiB, smallBurst.growth / MiB],
            ['20 MiB', bigBurst.base / MiB, bigBurst.peak / MiB, bigBurst.growth / MiB],
          ],
        },
        {
          title: 'Text extraction of a 100-page PDF',
          columns: ['time (ms)', 'event-loop delay p50 (ms)', 'p99 (ms)', 'max (ms)'],
          rows: [[extractionMs, loop.p50, loop.p99, loop.max]],
        },
      ],
      checks: [
        check('upload throughput vs writing to disk', uploadMiBs / directMiBs, '>=', 0.5),
        check(
          'memory growth, 20 uploads of 20 MiB beyond 20 of 2 MiB',
          (bigBurst.growth - smallBurst.growth) / MiB,
          '<',
          32,
          'MiB',
        ),
        check('event-loop delay p99 during extraction', loop.p99, '<', 50, 'ms'),
        check('PDF text extracted', file.status === 'ready' ? 1 : 0, '>=', 1),
        check('refused uploads', refused, '<', 1),
      ],
      data: { samples, smallBurst, bigBurst, extractionMs, loop, file: { status: file.status, error: file.error } },
    };
  } finally {
    await app?.stop();
    rmSync(filesDir, { recursive: true, force: true });
    await database.drop();
  }
}

module.exports = { id: 9, title: 'Uploads and text extraction', run };
