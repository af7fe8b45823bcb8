'use strict';
/**
 * The references of scenario 1, each a plain `node:http` server in its own process (run as
 * `node reference-server.js`, configured by BENCH_* variables), answering the same two routes as the app:
 *   GET /conversations?limit=N             GET /conversations/:id/messages?limit=N
 *
 * BENCH_MODE
 * - ceiling:    the app's own response body, from memory: what HTTP on this machine costs at best.
 * - floor-auth: + the same access-token verification as the app, then the body from memory.
 * - floor-db:   + the same SQL as the app (the session and user lookup of the JWT strategy, then the route's queries) as
 *               prepared statements on the same database, rows thrown away, body from memory.
 * - floor:      + the rows mapped to the same JSON shape and `JSON.stringify`: the whole job of the route,
 *               without a framework. Its bodies are checked to be byte-for-byte the app's.
 */
const { Buffer } = require('node:buffer');
const http = require('node:http');
const { readFileSync } = require('node:fs');
const { URLSearchParams } = require('node:url');
const { createVerify } = require('./verify');

const mode = process.env.BENCH_MODE;
const port = Number(process.env.BENCH_PORT);
const bodies = JSON.parse(readFileSync(process.env.BENCH_BODIES, 'utf8'));
const { verify } = createVerify(process.env.BENCH_JWT_SECRET);
const databaseUrl = process.env.BENCH_DATABASE_URL;

// The SQL the app sends for these routes (src/auth/sessions.repository.ts findPrincipal, src/conversations/
// conversations.repository.ts listPageForOwner and findOwnedById, messages.repository.ts pathPage: the first page
// of the path from the root to the conversation's current leaf); only the placeholders differ between the two
// databases.
const CONVERSATION =
  'c."id", c."owner_id", c."title", c."model", c."system_prompt", c."archived", c."current_leaf_id", ' +
  'c."created_at", c."updated_at"';
const MESSAGE =
  'm."id", m."conversation_id", m."parent_id", m."depth", m."jump_id", m."role", m."content", m."model", m."status", m."error", ' +
  'm."prompt_tokens", m."completion_tokens", m."created_at", m."edited_at", m."served_by"';
const SIBLINGS =
  'CASE WHEN m.parent_id IS NULL ' +
  'THEN (SELECT count(*) FROM messages s WHERE s.conversation_id = m.conversation_id AND s.parent_id IS NULL ' +
  'AND (s.created_at, s.id) < (m.created_at, m.id)) ' +
  'ELSE (SELECT count(*) FROM messages s WHERE s.parent_id = m.parent_id AND (s.created_at, s.id) < (m.created_at, m.id)) ' +
  'END AS sibling_index, ' +
  'CASE WHEN m.parent_id IS NULL ' +
  'THEN (SELECT count(*) FROM messages s WHERE s.conversation_id = m.conversation_id AND s.parent_id IS NULL) ' +
  'ELSE (SELECT count(*) FROM messages s WHERE s.parent_id = m.parent_id) ' +
  'END AS sibling_count';
const SQL = {
  principal:
    'SELECT s."user_id", s."last_used_at", u."email", u."role", u."disabled", ' +
    'CASE WHEN s.revoked_at IS NULL AND s.session_version = u.session_version THEN 1 ELSE 0 END AS live ' +
    'FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?',
  list:
    `SELECT ${CONVERSATION} FROM conversations c WHERE c.owner_id = ? AND c.archived = ? ` +
    'ORDER BY c.updated_at DESC, c.id DESC LIMIT ?',
  conversation: `SELECT ${CONVERSATION} FROM conversations c WHERE c.id = ? AND c.owner_id = ?`,
  history:
    'WITH RECURSIVE seek (id, parent_id, depth, jump_id) AS (' +
    'SELECT id, parent_id, depth, jump_id FROM messages WHERE id = ? AND conversation_id = ? ' +
    'UNION ALL ' +
    'SELECT n.id, n.parent_id, n.depth, n.jump_id FROM seek JOIN messages n ON n.id = CASE ' +
    'WHEN (SELECT j.depth FROM messages j WHERE j.id = seek.jump_id) >= ? THEN seek.jump_id ' +
    'ELSE seek.parent_id END ' +
    'WHERE seek.depth > ?), ' +
    'page (id, parent_id, n) AS (' +
    'SELECT id, parent_id, 1 FROM seek WHERE depth <= ? AND depth > ? ' +
    'UNION ALL ' +
    'SELECT p.id, p.parent_id, page.n + 1 FROM messages p JOIN page ON p.id = page.parent_id ' +
    'WHERE p.depth > ? AND page.n < ?) ' +
    `SELECT ${MESSAGE}, ${SIBLINGS} FROM page JOIN messages m ON m.id = page.id ORDER BY m.created_at, m.id`,
};
/** attachments.repository.ts `of`: the files of the page's messages, one statement per number of messages. */
const attachmentsSql = (count) =>
  'SELECT a.message_id AS attached_to, f."id", f."owner_id", f."name", f."mime_type", f."size", f."kind", f."status", ' +
  'f."error", f."text_chars", f."created_at" FROM message_attachments a JOIN files f ON f.id = a.file_id ' +
  `WHERE a.message_id IN (${Array.from({ length: count }, () => '?').join(', ')}) ORDER BY a.message_id, a.position`;
/** The first page's parameters: `take` messages from the root down (nothing above it). */
const firstPage = (take) => [take, take, take, 0, 0, take];

/** Prepared statements: sqlite3 Statement objects, or named statements on a pg pool of the app's size (20). */
function openDatabase() {
  if (databaseUrl.startsWith('sqlite:')) {
    const sqlite3 = require('sqlite3');
    const db = new sqlite3.Database(databaseUrl.slice('sqlite:'.length));
    db.run('PRAGMA busy_timeout = 10000');
    const statements = Object.fromEntries(Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)]));
    return {
      sqlite: true,
      query: (name, params) =>
        new Promise((resolve, reject) =>
          statements[name].all(params, (error, rows) => (error ? reject(error) : resolve(rows))),
        ),
      attachments: (ids) => {
        const name = `attachments${ids.length}`;
        statements[name] ??= db.prepare(attachmentsSql(ids.length));
        return new Promise((resolve, reject) =>
          statements[name].all(ids, (error, rows) => (error ? reject(error) : resolve(rows))),
        );
      },
    };
  }
  const { Pool } = require('pg');
  const pool = new Pool({ connectionString: databaseUrl, max: 20 });
  const numbered = Object.fromEntries(
    Object.entries(SQL).map(([name, sql]) => {
      let n = 0;
      return [name, sql.replace(/\?/g, () => `$${++n}`)];
    }),
  );
  return {
    sqlite: false,
    query: async (name, params) => (await pool.query({ name, text: numbered[name], values: params })).rows,
    attachments: async (ids) => {
      let n = 0;
      const text = attachmentsSql(ids.length).replace(/\?/g, () => `$${++n}`);
      return (await pool.query({ name: `attachments${ids.length}`, text, values: ids })).rows;
    },
  };
}

const database = mode === 'floor' || mode === 'floor-db' ? openDatabase() : null;
// SQLite keeps TypeORM's `YYYY-MM-DD HH:MM:SS.mmm` UTC text; PostgreSQL answers Dates.
const iso = (value) => (value instanceof Date ? value : new Date(`${value.replace(' ', 'T')}Z`)).toISOString();
const bool = (value) => value === true || value === 1;
const cursor = (at, id) => Buffer.from(JSON.stringify([at, id])).toString('base64url');

function page(rows, limit, map, at) {
  const items = rows.slice(0, limit).map(map);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? cursor(at(last), last.id) : null };
}

const toConversation = (r) => ({
  id: r.id,
  title: r.title,
  model: r.model,
  systemPrompt: r.system_prompt,
  archived: bool(r.archived),
  currentLeafId: r.current_leaf_id,
  // Without REDIS_URL the app looks its running generations up in a Map of its own: none run during the bench.
  activeGeneration: null,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

const toMessage = (r) => ({
  id: r.id,
  conversationId: r.conversation_id,
  parentId: r.parent_id,
  siblingIndex: Number(r.sibling_index),
  siblingCount: Number(r.sibling_count),
  role: r.role,
  content: r.content,
  attachments: [],
  model: r.model,
  servedBy: r.served_by,
  status: r.status,
  error: r.error,
  usage:
    r.prompt_tokens === null && r.completion_tokens === null
      ? null
      : { promptTokens: r.prompt_tokens ?? 0, completionTokens: r.completion_tokens ?? 0 },
  editedAt: r.edited_at === null ? null : iso(r.edited_at),
  createdAt: iso(r.created_at),
});

function send(res, status, body) {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

const HISTORY = /^\/conversations\/([0-9a-f-]{36})\/messages$/;

async function handle(req, res) {
  const [path, query = ''] = req.url.split('?');
  if (path === '/health') return send(res, 200, '{"status":"ok"}');
  const history = HISTORY.exec(path);
  if (path !== '/conversations' && !history) return send(res, 404, '{}');
  const stored = history ? bodies.history : bodies.list;
  if (mode === 'ceiling') return send(res, 200, stored);

  const limit = Number(new URLSearchParams(query).get('limit') ?? 20);
  const header = req.headers.authorization ?? '';
  let payload;
  try {
    payload = await verify(header.startsWith('Bearer ') ? header.slice(7) : '');
  } catch {
    return send(res, 401, '{"statusCode":401}');
  }
  if (mode === 'floor-auth') return send(res, 200, stored);

  // The session and its user, as the app checks them on every request: ended sessions are refused at once.
  const [principal] = await database.query('principal', [payload.sid]);
  if (!principal || principal.user_id !== payload.sub || bool(principal.disabled) || Number(principal.live) !== 1) {
    return send(res, 401, '{"statusCode":401}');
  }
  const user = { id: principal.user_id };
  let body;
  if (history) {
    const [conversation] = await database.query('conversation', [history[1], user.id]);
    if (!conversation) return send(res, 404, '{"statusCode":404}');
    const leaf = conversation.current_leaf_id;
    const rows = leaf ? await database.query('history', [leaf, history[1], ...firstPage(limit + 1)]) : [];
    const attached = rows.length > 0 ? await database.attachments(rows.map((row) => row.id)) : [];
    if (mode === 'floor-db') return send(res, 200, stored);
    // The bench seeds no files: a page with any would differ from the app's here, and the check below says so.
    if (attached.length > 0) return send(res, 500, '{"statusCode":500}');
    body = JSON.stringify(page(rows, limit, toMessage, (m) => m.createdAt));
  } else {
    const rows = await database.query('list', [user.id, database.sqlite ? 0 : false, limit + 1]);
    if (mode === 'floor-db') return send(res, 200, stored);
    body = JSON.stringify(page(rows, limit, toConversation, (c) => c.updatedAt));
  }
  send(res, 200, body);
}

http
  .createServer((req, res) => {
    handle(req, res).catch((error) => {
      process.stderr.write(`${error.stack}\n`);
      if (!res.headersSent) send(res, 500, '{}');
    });
  })
  .listen(port, '127.0.0.1');
