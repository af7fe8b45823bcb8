'use strict';
/**
 * Fast seeding: users, conversations and messages written with the raw driver in large batches, after the app's
 * own migrations made the schema. Rows go in through plain INSERTs into the real tables, so whatever triggers
 * the migrations define (a full-text index, say) are filled as in production. The data are deterministic:
 * the same options give the same rows.
 *
 * Layout for `messages: N` (defaults):
 * - N/1000 users (at least 10), 20 conversations each on average; user 0, "the heavy user", owns
 *   max(100, 5%) of the conversations, so that its conversation list has deep pages, and the long conversation;
 * - the long conversation has 10% of all messages, the others share the rest unevenly;
 * - every conversation's messages alternate user/assistant, 20-60 words from the user, 40-200 from the
 *   assistant, timestamps strictly increasing within it, each the parent of the next (a single path, its last
 *   message the current leaf); all of it inside the last year, inserted in time order across conversations, as a
 *   live server would have written them;
 * - a rare word planted in a few messages of the heavy user and of others, for the search query.
 */
const { Buffer } = require('node:buffer');
const { join } = require('node:path');
const { ROOT, openRaw } = require('./database');
const { randomGenerator, uuidFrom, nowMs } = require('./util');
const WORDS = require('./words');
// Depths and jump pointers as the app writes them (src/database/ancestry.ts).
const { childAncestry } = require(join(ROOT, 'dist', 'database', 'ancestry.js'));

const RARE_WORD = 'quetzalcoatlite';
const COMMON_WORD = 'database';
const PASSWORD = 'bench-password-1';
const DAY_MS = 86_400_000;

/** The messages table's columns the seed writes, and their PostgreSQL types for unnest(). */
const MESSAGE_COLUMNS = [
  'id',
  'conversation_id',
  'parent_id',
  'depth',
  'jump_id',
  'role',
  'content',
  'model',
  'status',
  'error',
  'prompt_tokens',
  'completion_tokens',
  'created_at',
];
const MESSAGE_TYPES = [
  'uuid',
  'uuid',
  'uuid',
  'int',
  'uuid',
  'varchar',
  'text',
  'varchar',
  'varchar',
  'text',
  'int',
  'int',
  'timestamptz',
];

/**
 * On a single path the jump target's depth depends only on the message's depth: index d answers it for the
 * message at depth d (0: none), by the app's own rule.
 */
function pathJumpDepths(longest) {
  const byDepth = [0, 0];
  const lookup = (id) => ({ depth: Number(id), jumpId: byDepth[Number(id)] ? String(byDepth[Number(id)]) : null });
  for (let depth = 2; depth <= longest; depth++) {
    const parent = { id: String(depth - 1), ...lookup(String(depth - 1)) };
    byDepth[depth] = Number(childAncestry(parent, lookup).jumpId);
  }
  return byDepth;
}

const emailOf = (index) => `user${index}@bench.example.com`;

let passwordHash;
/** One real argon2id hash made with the app's own hasher, shared by every seeded user. */
async function hashOnce() {
  if (!passwordHash) {
    const { PasswordHasher } = require(join(ROOT, 'dist', 'users', 'password-hasher.service.js'));
    passwordHash = await new PasswordHasher({ passwordHashQueue: 1 }).hash(PASSWORD);
  }
  return passwordHash;
}

/** `YYYY-MM-DD HH:MM:SS.mmm` in UTC: how TypeORM writes a Date to SQLite, so that cursors compare as in the app. */
function sqliteTime(ms) {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

function plan(options, random) {
  const messages = options.messages;
  const users = options.users ?? Math.max(10, Math.round(messages / 1000));
  const conversationCount = Math.max(users, Math.round(users * (options.conversationsPerUser ?? 20)));
  const heavyCount = Math.min(
    conversationCount,
    options.heavyConversations ?? Math.max(100, Math.round(conversationCount / 20)),
  );
  const longCount =
    options.longConversation === false ? 0 : Math.max(2, Math.round(messages * (options.longShare ?? 0.1)));

  // Conversation 0 is the long one; 0..heavyCount-1 belong to user 0; the rest go round the other users.
  const owners = new Int32Array(conversationCount);
  for (let c = heavyCount; c < conversationCount; c++) owners[c] = users > 1 ? 1 + ((c - heavyCount) % (users - 1)) : 0;

  // Message counts: the long conversation's share, the rest spread unevenly (exponential weights), at least 1.
  const counts = new Int32Array(conversationCount);
  const first = longCount > 0 ? 1 : 0;
  if (longCount > 0) counts[0] = longCount;
  const rest = messages - longCount;
  if (rest < conversationCount - first) {
    throw new Error(`${messages} messages cannot give each of ${conversationCount} conversations one`);
  }
  const weights = [];
  let total = 0;
  for (let c = first; c < conversationCount; c++) {
    const w = -Math.log(1 - random());
    weights.push(w);
    total += w;
  }
  let assigned = 0;
  for (let c = first; c < conversationCount; c++) {
    counts[c] = Math.max(1, Math.floor((weights[c - first] / total) * rest));
    assigned += counts[c];
  }
  // Settle the rounding so that the total is exact.
  while (assigned !== rest) {
    const c = first + Math.floor(random() * (conversationCount - first));
    if (assigned < rest) {
      counts[c]++;
      assigned++;
    } else if (counts[c] > 1) {
      counts[c]--;
      assigned--;
    }
  }

  // Times: each conversation starts somewhere in the last year and goes on with gaps of 5 s to 10 min; the long
  // one spans most of the year. Computed up front so a conversation row can carry its last message's time.
  const end = Date.now() - 60_000;
  const start = end - 365 * DAY_MS;
  const offsets = new Int32Array(conversationCount + 1);
  for (let c = 0; c < conversationCount; c++) offsets[c + 1] = offsets[c] + counts[c];
  const times = new Float64Array(messages);
  for (let c = 0; c < conversationCount; c++) {
    const n = counts[c];
    const longOne = c === 0 && longCount > 0;
    const meanGap = longOne ? (0.95 * 365 * DAY_MS) / n : 150_000;
    const span = meanGap * n * 1.1;
    let t = longOne ? start : start + Math.floor(random() * Math.max(1, 365 * DAY_MS - span));
    for (let i = 0; i < n; i++) {
      t += Math.max(1, Math.floor(meanGap * (0.2 + 1.6 * random())));
      times[offsets[c] + i] = t;
    }
  }
  return { users, conversationCount, heavyCount, longCount, owners, counts, offsets, times };
}

/**
 * Message text: sentences of 6-20 words drawn from a pool made once (word frequencies skewed like real text),
 * strung together up to a word count; much cheaper than drawing every word, and the same words per message.
 */
function textMaker(random) {
  const skewed = new Uint16Array(4096);
  for (let i = 0; i < skewed.length; i++) skewed[i] = Math.floor(WORDS.length * Math.pow(i / skewed.length, 2.5));
  const sentence = (planted) => {
    const n = 6 + Math.floor(random() * 15);
    const at = planted ? Math.floor(random() * n) : -1;
    const words = [];
    for (let i = 0; i < n; i++) {
      let word = i === at ? RARE_WORD : WORDS[skewed[Math.floor(random() * skewed.length)]];
      if (i === 0) word = word[0].toUpperCase() + word.slice(1);
      else if (i < n - 1 && random() < 0.04) word += ',';
      words.push(word);
    }
    return { text: words.join(' ') + (random() < 0.85 ? '.' : '?'), words: n };
  };
  const pool = Array.from({ length: 20_000 }, () => sentence(false));
  return (minWords, maxWords, planted) => {
    const target = minWords + Math.floor(random() * (maxWords - minWords + 1));
    const parts = [];
    let words = 0;
    if (planted) {
      const first = sentence(true);
      parts.push(first.text);
      words += first.words;
    }
    while (words < target) {
      const next = pool[Math.floor(random() * pool.length)];
      parts.push(next.text);
      words += next.words;
    }
    return parts.join(' ');
  };
}

/** A min-heap of conversations by their next message's time: yields every message in global time order. */
function* inTimeOrder(p) {
  const heap = [];
  const next = new Int32Array(p.conversationCount);
  const time = (c) => p.times[p.offsets[c] + next[c]];
  const less = (a, b) => time(heap[a]) < time(heap[b]);
  const swap = (a, b) => ([heap[a], heap[b]] = [heap[b], heap[a]]);
  const up = (i) => {
    while (i > 0 && less(i, (i - 1) >> 1)) {
      swap(i, (i - 1) >> 1);
      i = (i - 1) >> 1;
    }
  };
  const down = (i) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(l, m)) m = l;
      if (r < heap.length && less(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (let c = 0; c < p.conversationCount; c++) {
    if (p.counts[c] === 0) continue;
    heap.push(c);
    up(heap.length - 1);
  }
  while (heap.length > 0) {
    const c = heap[0];
    yield [c, next[c]];
    next[c]++;
    if (next[c] >= p.counts[c]) {
      heap[0] = heap[heap.length - 1];
      heap.pop();
    }
    down(0);
  }
}

/**
 * Writes rows in batches: multi-row INSERTs (SQLite) or unnest() arrays (PostgreSQL), a transaction for every
 * 100,000 rows. `insert` hands the batch to the driver at once (both drivers run a connection's statements in
 * the order given) and answers a promise of its completion, so the caller can build the next batch meanwhile.
 */
function makeWriter(raw) {
  const TRANSACTION_ROWS = 100_000;
  let inTransaction = 0;

  if (raw.kind === 'sqlite') {
    raw.db.serialize();
    const statements = new Map();
    const statementFor = (table, columns, rows) => {
      const key = `${table}:${rows}`;
      if (!statements.has(key)) {
        const tuple = `(${columns.map(() => '?').join(',')})`;
        const sql = `INSERT INTO ${table} (${columns.join(',')}) VALUES ${Array(rows).fill(tuple).join(',')}`;
        statements.set(key, raw.db.prepare(sql));
      }
      return statements.get(key);
    };
    const exec = (sql) =>
      new Promise((resolve, reject) => raw.db.exec(sql, (error) => (error ? reject(error) : resolve())));
    return {
      batchRows: (columns) => Math.floor(30_000 / columns.length),
      insert(table, columns, rows) {
        const steps = [];
        if (inTransaction === 0) steps.push(exec('BEGIN'));
        const statement = statementFor(table, columns, rows.length);
        const params = rows.flat();
        steps.push(
          new Promise((resolve, reject) => statement.run(params, (error) => (error ? reject(error) : resolve()))),
        );
        inTransaction += rows.length;
        if (inTransaction >= TRANSACTION_ROWS) {
          steps.push(exec('COMMIT'));
          inTransaction = 0;
        }
        return Promise.all(steps);
      },
      async finish() {
        if (inTransaction > 0) await exec('COMMIT');
        inTransaction = 0;
        for (const statement of statements.values()) await new Promise((resolve) => statement.finalize(resolve));
      },
    };
  }

  return {
    batchRows: () => 5_000,
    insert(table, columns, rows, types) {
      const steps = [];
      if (inTransaction === 0) steps.push(raw.client.query('BEGIN'));
      const arrays = columns.map((_, i) => rows.map((row) => row[i]));
      const list = types.map((type, i) => `$${i + 1}::${type}[]`).join(', ');
      steps.push(
        raw.client.query({
          text: `INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${list})`,
          values: arrays,
        }),
      );
      inTransaction += rows.length;
      if (inTransaction >= TRANSACTION_ROWS) {
        steps.push(raw.client.query('COMMIT'));
        inTransaction = 0;
      }
      return Promise.all(steps);
    },
    async finish() {
      if (inTransaction > 0) await raw.client.query('COMMIT');
      inTransaction = 0;
    },
  };
}

/** Each conversation's current leaf: its last message. */
async function setCurrentLeaves(raw, conversationIds, leafIds) {
  if (raw.kind === 'postgres') {
    await raw.exec('BEGIN');
    await raw.client.query(
      'UPDATE conversations c SET current_leaf_id = v.leaf FROM unnest($1::uuid[], $2::uuid[]) AS v(id, leaf) WHERE c.id = v.id',
      [conversationIds, leafIds],
    );
    await raw.exec('COMMIT');
    return;
  }
  await raw.exec('BEGIN');
  for (let i = 0; i < conversationIds.length; i++) {
    await raw.run('UPDATE conversations SET current_leaf_id = ? WHERE id = ?', [leafIds[i], conversationIds[i]]);
  }
  await raw.exec('COMMIT');
}

/**
 * One conversation of the first seeded user, with the messages `shape` gives: `shape(turn)` is the list of what
 * happens at a turn, 'ask' (a question and its answer on the current path), 'regenerate' (one more answer to the
 * last question: the path goes on from it) or 'edit' (the last question asked again differently, with its answer:
 * the path goes on from there, the earlier question and its answer staying as a side branch). Messages get
 * strictly increasing times, so the newest message is the current leaf. Returns the conversation's id, its path
 * (root first), each message's time in ms (`atOf`), and the branch points (a question and its edited sibling).
 */
async function seedConversation(
  database,
  { ownerId, messages, shape, seed: seedValue = 7, model = 'openai/bench-model' },
) {
  const random = randomGenerator(seedValue);
  const makeText = textMaker(random);
  const raw = await openRaw(database);
  const sqlite = raw.kind === 'sqlite';
  const time = (ms) => (sqlite ? sqliteTime(ms) : new Date(ms).toISOString());
  try {
    const conversationId = uuidFrom(random);
    let at = Date.now() - messages * 60_000;
    const rows = [];
    const atOf = new Map();
    const placed = new Map();
    const add = (parentId, role) => {
      at += 1000 + Math.floor(random() * 59_000);
      const id = uuidFrom(random);
      const content = role === 'user' ? makeText(20, 60, false) : makeText(40, 200, false);
      const parent = parentId === null ? null : { id: parentId, ...placed.get(parentId) };
      const { depth, jumpId } = childAncestry(parent, (known) => placed.get(known));
      placed.set(id, { depth, jumpId });
      rows.push([
        id,
        conversationId,
        parentId,
        depth,
        jumpId,
        role,
        content,
        model,
        'complete',
        null,
        null,
        null,
        time(at),
      ]);
      atOf.set(id, at);
      return id;
    };
    let leaf = null;
    let lastQuestion = null;
    const branchPoints = [];
    for (let turn = 0; rows.length < messages; turn++) {
      for (const step of shape(turn)) {
        if (rows.length >= messages) break;
        if (step === 'regenerate' && lastQuestion) {
          leaf = add(lastQuestion.id, 'assistant');
        } else if (step === 'edit' && lastQuestion && rows.length + 2 <= messages) {
          const edited = add(lastQuestion.parentId, 'user');
          branchPoints.push({ original: lastQuestion.id, edited });
          lastQuestion = { id: edited, parentId: lastQuestion.parentId };
          leaf = add(edited, 'assistant');
        } else {
          const question = add(leaf, 'user');
          lastQuestion = { id: question, parentId: leaf };
          leaf = rows.length < messages ? add(question, 'assistant') : question;
        }
      }
    }
    const first = time(Date.now() - messages * 60_000);
    await raw.query(
      sqlite
        ? 'INSERT INTO conversations (id, owner_id, title, model, archived, created_at, updated_at, current_leaf_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'
        : 'INSERT INTO conversations (id, owner_id, title, model, archived, created_at, updated_at, current_leaf_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [
        conversationId,
        ownerId,
        `Bench ${messages}-message conversation`,
        model,
        sqlite ? 0 : false,
        first,
        time(at),
        leaf,
      ],
    );
    const writer = makeWriter(raw);
    const columns = MESSAGE_COLUMNS;
    const types = MESSAGE_TYPES;
    const size = writer.batchRows(columns);
    for (let start = 0; start < rows.length; start += size)
      await writer.insert('messages', columns, rows.slice(start, start + size), types);
    await writer.finish();
    if (sqlite) await raw.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    else await raw.exec('VACUUM ANALYZE messages');

    // The current path, root first, walked from the leaf.
    const parentOf = new Map(rows.map((row) => [row[0], row[2]]));
    const path = [];
    for (let id = leaf; id; id = parentOf.get(id)) path.push(id);
    path.reverse();
    return { conversationId, leafId: leaf, path, atOf, branchPoints, messages: rows.length };
  } finally {
    await raw.close();
  }
}

/**
 * Seeds an empty, migrated database. Returns what the scenarios need to find their way in it (the heavy user,
 * the long conversation, cursors of deep pages) and how fast it went.
 */
async function seed(database, options) {
  const random = randomGenerator(options.seed ?? 1);
  const hash = await hashOnce();
  const started = nowMs();
  const p = plan(options, random);
  const makeText = textMaker(random);
  const raw = await openRaw(database);
  const sqlite = raw.kind === 'sqlite';
  const time = (ms) => (sqlite ? sqliteTime(ms) : new Date(ms).toISOString());
  const bool = (value) => (sqlite ? (value ? 1 : 0) : value);
  if (sqlite) await raw.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;');
  const writer = makeWriter(raw);
  const model = options.model ?? 'openai/bench-model';

  // Users: real rows, one shared argon2 hash.
  const userIds = [];
  const userColumns = [
    'id',
    'email',
    'password_hash',
    'display_name',
    'role',
    'disabled',
    'settings',
    'session_version',
    'created_at',
    'updated_at',
  ];
  const userTypes = [
    'uuid',
    'varchar',
    'varchar',
    'varchar',
    'varchar',
    'boolean',
    'text',
    'int',
    'timestamptz',
    'timestamptz',
  ];
  const userCreated = Date.now() - 400 * DAY_MS;
  let batch = [];
  const flush = async (table, columns, types, always) => {
    if (batch.length > 0 && (always || batch.length >= writer.batchRows(columns))) {
      await writer.insert(table, columns, batch, types);
      batch = [];
    }
  };
  for (let u = 0; u < p.users; u++) {
    const id = uuidFrom(random);
    userIds.push(id);
    const at = time(userCreated + u * 1000);
    batch.push([id, emailOf(u), hash, `Bench user ${u}`, 'user', bool(false), '{}', 0, at, at]);
    await flush('users', userColumns, userTypes, false);
  }
  await flush('users', userColumns, userTypes, true);

  // Conversations: created at their first message, updated at their last; 5% archived (never the long one).
  const conversationIds = [];
  const archived = new Uint8Array(p.conversationCount);
  const convColumns = ['id', 'owner_id', 'title', 'model', 'system_prompt', 'archived', 'created_at', 'updated_at'];
  const convTypes = ['uuid', 'uuid', 'varchar', 'varchar', 'text', 'boolean', 'timestamptz', 'timestamptz'];
  for (let c = 0; c < p.conversationCount; c++) {
    const id = uuidFrom(random);
    conversationIds.push(id);
    archived[c] = c > 0 && random() < 0.05 ? 1 : 0;
    const firstAt = p.counts[c] > 0 ? p.times[p.offsets[c]] - 1000 : Date.now() - DAY_MS;
    const lastAt = p.counts[c] > 0 ? p.times[p.offsets[c + 1] - 1] : firstAt;
    const title = makeText(3, 6, false)
      .split(' ')
      .slice(0, 6)
      .join(' ')
      .replace(/[,.?]$/, '')
      .slice(0, 80);
    batch.push([id, userIds[p.owners[c]], title, model, null, bool(archived[c] === 1), time(firstAt), time(lastAt)]);
    await flush('conversations', convColumns, convTypes, false);
  }
  await flush('conversations', convColumns, convTypes, true);

  // Where the rare word goes: 6 messages of the heavy user (in 6 conversations when it has them) and 6 of others.
  const planted = new Set();
  const plantIn = (c) => p.counts[c] > 0 && planted.add(p.offsets[c] + Math.floor(random() * p.counts[c]));
  const heavyActive = [];
  for (let c = 0; c < p.heavyCount; c++) if (!archived[c]) heavyActive.push(c);
  const rareConversations = new Set();
  for (let i = 0; i < 6 && heavyActive.length > 0; i++) {
    const c = heavyActive[Math.floor(random() * heavyActive.length)];
    rareConversations.add(c);
    plantIn(c);
  }
  for (let i = 0; i < 6 && p.conversationCount > p.heavyCount; i++) {
    plantIn(p.heavyCount + Math.floor(random() * (p.conversationCount - p.heavyCount)));
  }

  // Messages, in global time order.
  const msgColumns = MESSAGE_COLUMNS;
  const msgTypes = MESSAGE_TYPES;
  const lastIds = new Array(p.conversationCount).fill(null);
  const pathIds = new Array(p.conversationCount);
  const jumpDepths = pathJumpDepths(Math.max(0, ...p.counts));
  const longDeepIndex = Math.floor(p.longCount * 0.9);
  let longDeep = null;
  let bytes = 0;
  const msgBatch = writer.batchRows(msgColumns);
  let inFlight = Promise.resolve();
  for (const [c, i] of inTimeOrder(p)) {
    const id = uuidFrom(random);
    const user = i % 2 === 0;
    const content = user
      ? makeText(20, 60, planted.has(p.offsets[c] + i))
      : makeText(40, 200, planted.has(p.offsets[c] + i));
    bytes += content.length;
    const words = content.length / 6;
    const at = p.times[p.offsets[c] + i];
    // Each conversation is one path: message i is at depth i + 1, and its jump target is known by depth alone.
    const depth = i + 1;
    (pathIds[c] ??= []).push(id);
    batch.push([
      id,
      conversationIds[c],
      lastIds[c],
      depth,
      jumpDepths[depth] ? pathIds[c][jumpDepths[depth] - 1] : null,
      user ? 'user' : 'assistant',
      content,
      model,
      'complete',
      null,
      user ? null : Math.round(words * 1.3 * Math.min(1 + i, 40)),
      user ? null : Math.round(words * 1.3),
      time(at),
    ]);
    lastIds[c] = id;
    if (c === 0 && p.longCount > 0 && i === longDeepIndex - 1) longDeep = { at, id };
    if (c === 0 && p.longCount > 0 && i === longDeepIndex && longDeep) longDeep.firstId = id;
    if (batch.length >= msgBatch) {
      const rows = batch;
      batch = [];
      // Build the next batch while this one is written.
      await inFlight;
      inFlight = writer.insert('messages', msgColumns, rows, msgTypes);
    }
  }
  await inFlight;
  if (batch.length > 0) await writer.insert('messages', msgColumns, batch, msgTypes);
  await writer.finish();
  await setCurrentLeaves(raw, conversationIds, lastIds);
  const insertSeconds = (nowMs() - started) / 1000;

  // After a bulk load PostgreSQL's autovacuum would analyse the tables within a minute; do it now so plans are
  // those of a live server. SQLite gathers no statistics unless the app asks for them, so nothing is done there.
  if (sqlite) await raw.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  else await raw.exec('VACUUM ANALYZE');
  await raw.close();

  // The heavy user's conversation list, as the app orders it, to build the cursor of a deep page.
  const heavyList = heavyActive
    .map((c) => ({ c, id: conversationIds[c], at: p.times[p.offsets[c + 1] - 1] }))
    .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const listDeepIndex = Math.floor(heavyList.length * 0.9);
  const cursorOf = (entry) =>
    Buffer.from(JSON.stringify([new Date(entry.at).toISOString(), entry.id])).toString('base64url');

  return {
    messages: options.messages,
    users: p.users,
    conversations: p.conversationCount,
    seconds: (nowMs() - started) / 1000,
    insertSeconds,
    rowsPerSecond: (p.users + p.conversationCount + options.messages) / insertSeconds,
    textBytes: bytes,
    password: PASSWORD,
    emailOf,
    userIds,
    conversationIds,
    owners: p.owners,
    archived,
    model,
    heavy: {
      email: emailOf(0),
      id: userIds[0],
      conversations: heavyList.length,
      deepList:
        listDeepIndex > 0
          ? {
              cursor: cursorOf(heavyList[listDeepIndex - 1]),
              firstId: heavyList[listDeepIndex].id,
              index: listDeepIndex,
            }
          : null,
      longConversationId: p.longCount > 0 ? conversationIds[0] : null,
      longMessages: p.longCount,
      deepHistory: longDeep ? { cursor: cursorOf(longDeep), firstId: longDeep.firstId, index: longDeepIndex } : null,
    },
    rareWord: RARE_WORD,
    rareConversations: rareConversations.size,
    commonWord: COMMON_WORD,
  };
}

module.exports = { seed, seedConversation, emailOf, PASSWORD, RARE_WORD, COMMON_WORD };
