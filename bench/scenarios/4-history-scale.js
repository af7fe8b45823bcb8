'use strict';
// Scenario 4: the same page queries on 10^3, 10^5 and 10^6 messages; near-equal times mean the pagination and the
// indexes are right. Also the `q` search on the largest database, and a conversation that is a tree (edits and
// regenerations every few turns) against linear ones: its active path's pages, and switching branch.
const { statSync } = require('node:fs');
const { createDatabase, migrate, openRaw } = require('../support/database');
const { check } = require('../support/report');
const { seed, seedConversation } = require('../support/seed');
const { startApp, login, request } = require('../support/server');
const { nowMs, percentile, progress } = require('../support/util');

/** Times `runs` GETs of `url` (or requests `url` makes), one at a time, or fewer when `maxMs` runs out (at least one). */
async function sample(url, headers, runs, maxMs, into) {
  const begin = nowMs();
  for (let i = 0; i < runs && (i === 0 || nowMs() - begin < maxMs); i++) {
    const options = typeof url === 'function' ? url(i) : { url };
    const t0 = nowMs();
    const response = await request({ ...options, headers, timeoutMs: 120_000 });
    if (response.status !== 200)
      throw new Error(`${options.method ?? 'GET'} ${options.url} answered ${response.status}`);
    into.push(nowMs() - t0);
  }
}

async function databaseBytes(database) {
  if (database.kind === 'sqlite') {
    return ['', '-wal'].reduce((sum, suffix) => {
      try {
        return sum + statSync(database.path + suffix).size;
      } catch {
        return sum;
      }
    }, 0);
  }
  const raw = await openRaw(database);
  try {
    return Number((await raw.query('SELECT pg_database_size(current_database()) AS n'))[0].n);
  } finally {
    await raw.close();
  }
}

/** A database of `messages` messages, seeded, with the app serving it and the queries to time. */
async function prepareSize(messages, setups) {
  const database = await createDatabase(`s4-${messages}`);
  const setup = { messages, database };
  setups.push(setup);
  await migrate(database);
  progress(`scenario 4: seeding ${messages.toLocaleString('en-US')} messages`);
  const seeded = await seed(database, { messages });
  progress(
    `scenario 4: seeded ${messages.toLocaleString('en-US')} messages in ${seeded.seconds.toFixed(1)} s ` +
      `(${Math.round(seeded.rowsPerSecond).toLocaleString('en-US')} rows/s)`,
  );
  Object.assign(setup, { seeded, bytes: await databaseBytes(database) });
}

/** Starts the app on a prepared database, signs in, and checks that every query answers what the seed implies. */
async function startSize(setup) {
  const { seeded } = setup;
  const { heavy } = seeded;
  setup.app = await startApp(setup.database, { probe: false });
  const base = setup.app.url;
  setup.headers = { authorization: `Bearer ${await login(base, heavy.email, seeded.password)}` };
  const history = `${base}/conversations/${heavy.longConversationId}/messages?limit=50`;
  const list = `${base}/conversations?limit=20`;
  const page = (n) => (body) => (body?.items?.length === n ? null : `expected ${n} items, got ${body?.items?.length}`);
  const startsAt = (n, id) => (body) =>
    page(n)(body) ?? (body.items[0].id === id ? null : 'the deep page starts at the wrong item');
  const deepList = heavy.deepList;
  const deepHistory = heavy.deepHistory;
  setup.queries = {
    'list, first page': [list, page(20)],
    'list, deep page': [
      `${list}&cursor=${deepList.cursor}`,
      startsAt(Math.min(20, heavy.conversations - deepList.index), deepList.firstId),
    ],
    'history, first page': [history, page(50)],
    'history, deep page': [
      `${history}&cursor=${deepHistory.cursor}`,
      startsAt(Math.min(50, heavy.longMessages - deepHistory.index), deepHistory.firstId),
    ],
    'search, rare word': [`${list}&q=${seeded.rareWord}`, page(seeded.rareConversations)],
    'search, common word': [
      `${list}&q=${seeded.commonWord}`,
      (body) => (body?.items?.length > 0 ? null : 'found nothing'),
    ],
  };
  setup.problems = [];
  for (const [name, [url, expect]] of Object.entries(setup.queries)) {
    const response = await request({ url, headers: setup.headers, timeoutMs: 120_000 });
    const problem = response.status !== 200 ? `status ${response.status}` : expect(response.json);
    if (problem) setup.problems.push(`${messages(setup)}, ${name}: ${problem}`);
  }
}

const messages = (setup) => `${setup.messages.toLocaleString('en-US')} messages`;

async function run(ctx) {
  const sizes = ctx.quick ? [1_000, 10_000] : [1_000, 100_000, 1_000_000];
  const rounds = ctx.quick ? 2 : 5;
  const setups = [];
  try {
    for (const size of sizes) await prepareSize(size, setups);
    for (const setup of setups) await startSize(setup);
    // Rounds alternate between the sizes, query by query, so that other load on the machine falls on all alike.
    const names = Object.keys(setups[0].queries);
    const samples = new Map(setups.map((setup) => [setup, Object.fromEntries(names.map((name) => [name, []]))]));
    progress(`scenario 4: warming up`);
    for (const setup of setups) {
      for (const name of names)
        await sample(setup.queries[name][0], setup.headers, name.startsWith('search') ? 2 : 20, 5_000, []);
    }
    for (let round = 1; round <= rounds; round++) {
      progress(`scenario 4: timing, round ${round}/${rounds}`);
      for (const name of names) {
        const search = name.startsWith('search');
        for (const setup of setups) {
          const runs = Math.ceil((ctx.quick ? 30 : 200) / rounds);
          const maxMs = (ctx.quick ? 2_000 : 8_000) / rounds;
          await sample(
            setup.queries[name][0],
            setup.headers,
            search ? Math.min(runs, 10) : runs,
            maxMs,
            samples.get(setup)[name],
          );
        }
      }
    }
    const results = setups.map((setup) => ({
      messages: setup.messages,
      users: setup.seeded.users,
      conversations: setup.seeded.conversations,
      heavyConversations: setup.seeded.heavy.conversations,
      longConversation: setup.seeded.heavy.longMessages,
      seedSeconds: setup.seeded.seconds,
      seedRowsPerSecond: setup.seeded.rowsPerSecond,
      databaseBytes: setup.bytes,
      timings: Object.fromEntries(
        names.map((name) => {
          const list = samples.get(setup)[name];
          return [name, { p50: percentile(list, 50), p99: percentile(list, 99), runs: list.length }];
        }),
      ),
    }));
    const trees = await measureTrees(ctx, rounds);
    return withTrees(
      report(
        results,
        setups.flatMap((setup) => setup.problems),
        rounds,
        ctx,
      ),
      trees,
    );
  } finally {
    for (const setup of setups) {
      await setup.app?.stop();
      await setup.database.drop();
    }
  }
}

function report(results, problems, rounds, ctx) {
  const smallest = results[0];
  const largest = results[results.length - 1];
  const names = Object.keys(smallest.timings);
  const pageNames = names.filter((name) => !name.startsWith('search'));
  const label = (n) => `10^${Math.round(Math.log10(n))}`;
  return {
    notes: [
      'Sizes: messages over N/1000 users (at least 10) with 20 conversations each; the user measured owns ' +
        'max(100, 5%) of the conversations and a long conversation with 10% of all messages. Deep pages start at 90% ' +
        'of the list or history, through a cursor.',
      `Times are of single requests, one at a time, through HTTP: up to ${ctx.quick ? 30 : 200} per query and size (10 per round for ` +
        `searches), in ${rounds} rounds that alternate between the sizes, after a warm-up. Every size has its own ` +
        'database and server process, all up at once.',
      'PostgreSQL gets VACUUM ANALYZE after seeding (autovacuum would do it on a live server); SQLite gets nothing, as the app runs no ANALYZE.',
      ...problems.map((p) => `WRONG ANSWER: ${p}`),
    ],
    tables: [
      {
        title: 'Databases',
        columns: [
          'messages',
          'users',
          'conversations',
          "the user's conversations",
          'long conversation',
          'size (MiB)',
          'seeded in (s)',
          'rows/s',
        ],
        rows: results.map((r) => [
          r.messages,
          r.users,
          r.conversations,
          r.heavyConversations,
          r.longConversation,
          r.databaseBytes / 1024 ** 2,
          r.seedSeconds,
          r.seedRowsPerSecond,
        ]),
      },
      {
        title: 'p50 / p99 latency (ms) by size',
        columns: [
          'query',
          ...results.map((r) => `${label(r.messages)} p50`),
          ...results.map((r) => `${label(r.messages)} p99`),
          `${label(largest.messages)}/${label(smallest.messages)} p50`,
        ],
        rows: names.map((name) => [
          name,
          ...results.map((r) => r.timings[name].p50),
          ...results.map((r) => r.timings[name].p99),
          largest.timings[name].p50 / smallest.timings[name].p50,
        ]),
      },
    ],
    checks: [
      ...pageNames.map((name) =>
        check(
          `${name}: ${label(largest.messages)} vs ${label(smallest.messages)}`,
          largest.timings[name].p50 / smallest.timings[name].p50,
          '<',
          1.5,
        ),
      ),
      check(
        `search, rare word, p50 at ${label(largest.messages)}`,
        largest.timings['search, rare word'].p50,
        '<',
        100,
        'ms',
      ),
      check(
        `search, common word, p50 at ${label(largest.messages)}`,
        largest.timings['search, common word'].p50,
        '<',
        100,
        'ms',
      ),
      check('wrong answers', problems.length, '<', 1),
    ],
    data: { sizes: results },
  };
}

const TREE_MESSAGES = 10_000;
const SMALL_MESSAGES = 100;
/** Every third turn the answer is regenerated, every fifth the question is edited; the path goes on from the newest. */
const treeShape = (turn) => (turn % 5 === 4 ? ['ask', 'edit'] : turn % 3 === 2 ? ['ask', 'regenerate'] : ['ask']);
const linearShape = () => ['ask'];

/**
 * A 10^4-message tree next to a linear conversation of the same length and a 10^2-message one, all of one user on
 * a database of their own: the first and a deep page of each active path (newest first, as the chat page opens
 * it), and switching the tree's branch back and forth at an edit halfway down (one side holds the rest of the
 * conversation, the other two messages).
 */
async function measureTrees(ctx, rounds) {
  const database = await createDatabase('s4-trees');
  let app;
  try {
    await migrate(database);
    progress('scenario 4: seeding the tree and linear conversations');
    const seeded = await seed(database, { messages: 1_000 });
    const ownerId = seeded.userIds[0];
    const shapes = {
      [`linear ${SMALL_MESSAGES.toLocaleString('en-US')}`]: { messages: SMALL_MESSAGES, shape: linearShape, seed: 11 },
      [`linear ${TREE_MESSAGES.toLocaleString('en-US')}`]: { messages: TREE_MESSAGES, shape: linearShape, seed: 12 },
      [`tree ${TREE_MESSAGES.toLocaleString('en-US')}`]: { messages: TREE_MESSAGES, shape: treeShape, seed: 13 },
    };
    const conversations = {};
    for (const [name, options] of Object.entries(shapes)) {
      conversations[name] = await seedConversation(database, { ownerId, ...options });
    }
    app = await startApp(database, { probe: false });
    const base = app.url;
    const headers = { authorization: `Bearer ${await login(base, seeded.heavy.email, seeded.password)}` };
    const cursorOf = (conversation, id) =>
      Buffer.from(JSON.stringify([new Date(conversation.atOf.get(id)).toISOString(), id])).toString('base64url');

    const problems = [];
    const queries = {};
    for (const [name, c] of Object.entries(conversations)) {
      const path = `${base}/conversations/${c.conversationId}/messages?order=desc&limit=50&leafId=${c.leafId}`;
      // Newest first: after k messages the next page starts at the one before the k-th from the leaf.
      const k = Math.min(Math.floor(c.path.length * 0.9), c.path.length - 50);
      const deepCursor = cursorOf(c, c.path[c.path.length - k]);
      queries[name] = {
        'path, first page': [path, c.path[c.path.length - 1]],
        'path, deep page': [`${path}&cursor=${deepCursor}`, c.path[c.path.length - k - 1]],
      };
    }
    const tree = conversations[`tree ${TREE_MESSAGES.toLocaleString('en-US')}`];
    const branch = tree.branchPoints[Math.floor(tree.branchPoints.length / 2)];
    const switchTo = (i) => ({
      method: 'PUT',
      url: `${base}/conversations/${tree.conversationId}/current-leaf`,
      body: { messageId: i % 2 === 0 ? branch.original : branch.edited },
    });

    // Every answer checked once before timing.
    for (const [name, byQuery] of Object.entries(queries)) {
      for (const [query, [url, firstId]] of Object.entries(byQuery)) {
        const response = await request({ url, headers, timeoutMs: 120_000 });
        const items = response.json?.items;
        if (response.status !== 200) problems.push(`${name}, ${query}: status ${response.status}`);
        else if (items?.length !== 50) problems.push(`${name}, ${query}: expected 50 messages, got ${items?.length}`);
        else if (items[0].id !== firstId) problems.push(`${name}, ${query}: the page starts at the wrong message`);
      }
    }
    for (const [i, expected] of [
      [1, tree.leafId],
      [0, null],
    ]) {
      const response = await request({ ...switchTo(i), headers, timeoutMs: 120_000 });
      const leaf = response.json?.currentLeafId;
      if (response.status !== 200) problems.push(`branch switch: status ${response.status}`);
      else if (expected ? leaf !== expected : !leaf || leaf === tree.leafId) {
        problems.push(`branch switch: the current leaf became ${leaf}`);
      }
    }

    const samples = Object.fromEntries(
      Object.entries(queries).map(([name, byQuery]) => [
        name,
        Object.fromEntries(Object.keys(byQuery).map((q) => [q, []])),
      ]),
    );
    const switches = [];
    progress('scenario 4: tree, warming up');
    for (const byQuery of Object.values(queries))
      for (const [url] of Object.values(byQuery)) await sample(url, headers, 20, 3_000, []);
    await sample(switchTo, headers, 20, 3_000, []);
    for (let round = 1; round <= rounds; round++) {
      progress(`scenario 4: tree, timing, round ${round}/${rounds}`);
      const runs = Math.ceil((ctx.quick ? 30 : 200) / rounds);
      const maxMs = (ctx.quick ? 2_000 : 8_000) / rounds;
      for (const query of ['path, first page', 'path, deep page']) {
        for (const name of Object.keys(queries))
          await sample(queries[name][query][0], headers, runs, maxMs, samples[name][query]);
      }
      await sample(switchTo, headers, runs, maxMs, switches);
    }
    return {
      names: Object.keys(queries),
      pathLengths: Object.fromEntries(Object.entries(conversations).map(([name, c]) => [name, c.path.length])),
      timings: Object.fromEntries(
        Object.entries(samples).map(([name, byQuery]) => [
          name,
          Object.fromEntries(
            Object.entries(byQuery).map(([q, list]) => [
              q,
              { p50: percentile(list, 50), p99: percentile(list, 99), runs: list.length },
            ]),
          ),
        ]),
      ),
      switch: {
        p50: percentile(switches, 50),
        p99: percentile(switches, 99),
        runs: switches.length,
        subtree: tree.path.length,
      },
      problems,
    };
  } finally {
    await app?.stop();
    await database.drop();
  }
}

/** The tree rows and checks added to the scenario's report. */
function withTrees(result, trees) {
  const [small, linear, tree] = trees.names;
  const queries = ['path, first page', 'path, deep page'];
  const p50 = (name, query) => trees.timings[name][query].p50;
  result.notes.push(
    `Conversation trees: a ${tree} (a regenerated answer every third turn, an edited question every fifth; active path ` +
      `${trees.pathLengths[tree].toLocaleString('en-US')} messages) next to a ${linear} and a ${small} conversation: ` +
      'pages of 50 newest first along the active path (a deep page at 90% of it), and PUT current-leaf switching ' +
      'between the two sides of an edit halfway down, one side holding the rest of the conversation.',
    ...trees.problems.map((p) => `WRONG ANSWER: ${p}`),
  );
  result.tables.push({
    title: 'Active path of a tree: p50 / p99 latency (ms)',
    columns: [
      'query',
      ...trees.names.map((n) => `${n} p50`),
      ...trees.names.map((n) => `${n} p99`),
      'tree / linear p50',
      `tree / ${small} p50`,
    ],
    rows: [
      ...queries.map((q) => [
        q,
        ...trees.names.map((n) => p50(n, q)),
        ...trees.names.map((n) => trees.timings[n][q].p99),
        p50(tree, q) / p50(linear, q),
        p50(tree, q) / p50(small, q),
      ]),
      ['branch switch', null, null, trees.switch.p50, null, null, trees.switch.p99, null, null],
    ],
  });
  result.checks.push(
    ...queries.flatMap((q) => [
      check(`tree ${q}: tree vs ${linear}`, p50(tree, q) / p50(linear, q), '<', 1.5),
      check(`tree ${q}: tree vs ${small}`, p50(tree, q) / p50(small, q), '<', 1.5),
    ]),
    check('tree, branch switch p50', trees.switch.p50, '<', 20, 'ms'),
    check('tree, wrong answers', trees.problems.length, '<', 1),
  );
  result.data.trees = trees;
  return result;
}

module.exports = { id: 4, title: 'History scale', run };
