import {
  describeIllFormedText,
  findIllFormedText,
  findObjectWiderThan,
  jsonNestsDeeperThan,
  textProblem,
} from './request-input';

describe('jsonNestsDeeperThan', () => {
  it('counts arrays and objects alike, up to the limit inclusive', () => {
    expect(jsonNestsDeeperThan('[[[1]]]', 3)).toBe(false);
    expect(jsonNestsDeeperThan('[[[1]]]', 2)).toBe(true);
    expect(jsonNestsDeeperThan('{"a":{"b":[{}]}}', 4)).toBe(false);
    expect(jsonNestsDeeperThan('{"a":{"b":[{}]}}', 3)).toBe(true);
  });

  it('measures depth, not how many containers there are', () => {
    expect(jsonNestsDeeperThan(`[${'[1],'.repeat(10_000)}[1]]`, 2)).toBe(false);
  });

  it('ignores brackets inside strings, across escaped quotes and backslashes', () => {
    expect(jsonNestsDeeperThan('{"a":"[[[[{{{{"}', 1)).toBe(false);
    expect(jsonNestsDeeperThan('{"a":"\\"[[[["}', 1)).toBe(false);
    // The backslash is escaped, so the quote after it ends the string and the brackets count.
    expect(jsonNestsDeeperThan('{"a":"\\\\",  "b":[[[]]]}', 3)).toBe(true);
    expect(jsonNestsDeeperThan('{"[[[[":1}', 1)).toBe(false);
  });

  it('scans a very deep text without recursion', () => {
    expect(jsonNestsDeeperThan('['.repeat(1_000_000), 64)).toBe(true);
  });
});

describe('textProblem', () => {
  it.each([
    ['plain', undefined],
    ['Ünïcödé 中文 😀 \t\n', undefined],
    ['\uFFFD', undefined],
    ['a\u0000b', 'nul'],
    ['a\uD800b', 'unpaired-surrogate'],
    ['a\uDC00', 'unpaired-surrogate'],
    ['\uDE00\uD83D', 'unpaired-surrogate'],
  ])('%j: %s', (text, problem) => {
    expect(textProblem(text)).toBe(problem);
  });
});

describe('findIllFormedText', () => {
  it('finds nothing in well-formed input of any kind', () => {
    expect(findIllFormedText({ a: ['x', 1, null, true, { b: 'y' }] }, 'body')).toBeUndefined();
    expect(findIllFormedText(undefined, 'body')).toBeUndefined();
    expect(findIllFormedText('plain', 'body')).toBeUndefined();
  });

  it('names the path of a bad value at any depth', () => {
    const found = findIllFormedText({ messages: [{ content: 'ok' }, { content: 'a\u0000' }] }, 'body');
    expect(found).toEqual({ path: 'body.messages[1].content', inName: false, problem: 'nul' });
    expect(describeIllFormedText(found!)).toBe(
      'body.messages[1].content contains a NUL character (U+0000), which text may not contain',
    );
  });

  it('checks names as well as values', () => {
    const found = findIllFormedText({ settings: { 'a\uD800': 1 } }, 'body');
    expect(found).toEqual({ path: 'body.settings', inName: true, problem: 'unpaired-surrogate' });
    expect(describeIllFormedText(found!)).toBe(
      'a field name in body.settings contains an unpaired UTF-16 surrogate: text must be well-formed Unicode',
    );
  });

  it('quotes names that are not identifiers, and shortens long ones', () => {
    expect(findIllFormedText({ 'a b': { [`${'k'.repeat(50)}`]: '\u0000' } }, 'body')?.path).toBe(
      `body["a b"]["${'k'.repeat(40)}..."]`,
    );
  });

  it('reads objects without a prototype, as Fastify parses query strings', () => {
    const query = Object.assign(Object.create(null) as object, { q: 'a\u0000' });
    expect(findIllFormedText(query, 'query')?.path).toBe('query.q');
  });

  it('leaves objects that are not parsed text alone, such as buffers', () => {
    expect(findIllFormedText({ file: Buffer.from([0, 0xd8]) }, 'body')).toBeUndefined();
  });

  it('walks input deeper than the call stack would allow', () => {
    let deep: unknown = 'a\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findIllFormedText(deep, 'body')?.problem).toBe('nul');
  });
});

describe('findObjectWiderThan', () => {
  const members = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, i]));

  it('finds the first object with more members than allowed, at any depth, and names it', () => {
    expect(findObjectWiderThan(members(3), 'body', 3)).toBeUndefined();
    expect(findObjectWiderThan(members(4), 'body', 3)).toBe('body');
    expect(findObjectWiderThan({ a: [{ b: members(4) }] }, 'body', 3)).toBe('body.a[0].b');
    expect(findObjectWiderThan({ 'odd key': members(4) }, 'query', 3)).toBe('query["odd key"]');
  });

  it('counts the members of objects only, not the items of arrays', () => {
    expect(findObjectWiderThan({ list: Array.from({ length: 10 }, () => 1) }, 'body', 3)).toBeUndefined();
    expect(findObjectWiderThan(undefined, 'body', 3)).toBeUndefined();
    expect(findObjectWiderThan('text', 'body', 3)).toBeUndefined();
  });
});
