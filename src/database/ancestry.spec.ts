import fc from 'fast-check';
import { Ancestry, ancestries, childAncestry } from './ancestry';

type Node = Ancestry & { id: string; parentId: string | null };

/** A tree grown one message at a time, each under a parent picked among those already there (or none). */
const trees = fc
  .array(fc.nat(), { minLength: 1, maxLength: 300 })
  .map((picks) =>
    picks.map((pick, i) => ({ id: `m${i}`, parentId: pick % (i + 1) === i ? null : `m${pick % (i + 1)}` })),
  );

function grow(messages: { id: string; parentId: string | null }[]): Map<string, Node> {
  const placed = ancestries(messages);
  return new Map(messages.map((message) => [message.id, { ...message, ...placed.get(message.id)! }]));
}

/** The search the asc page runs in SQL: jump while the jump does not overshoot, else step to the parent. */
function seek(nodes: Map<string, Node>, from: string, depth: number): { id: string; steps: number } {
  let node = nodes.get(from)!;
  let steps = 0;
  while (node.depth > depth) {
    const jump = node.jumpId === null ? undefined : nodes.get(node.jumpId);
    node = nodes.get(jump && jump.depth >= depth ? jump.id : node.parentId!)!;
    steps++;
  }
  return { id: node.id, steps };
}

describe('message ancestry', () => {
  it('gives a first message depth 1 and no jump, and a child its parent as the first jump', () => {
    expect(childAncestry(null, () => undefined)).toEqual({ depth: 1, jumpId: null });
    expect(childAncestry({ id: 'root', depth: 1, jumpId: null }, () => undefined)).toEqual({
      depth: 2,
      jumpId: 'root',
    });
  });

  it('counts depth from the root and jumps only to an ancestor no deeper than the parent', () => {
    fc.assert(
      fc.property(trees, (messages) => {
        const nodes = grow(messages);
        for (const node of nodes.values()) {
          const parent = node.parentId === null ? undefined : nodes.get(node.parentId);
          expect(node.depth).toBe(parent ? parent.depth + 1 : 1);
          if (!parent) expect(node.jumpId).toBeNull();
          const ancestors = new Set<string>();
          for (let up = parent; up; up = up.parentId === null ? undefined : nodes.get(up.parentId))
            ancestors.add(up.id);
          if (parent) expect(ancestors.has(node.jumpId!)).toBe(true);
        }
      }),
    );
  });

  it('finds the ancestor at every depth, in at most 2 log2(depth) + 2 steps', () => {
    fc.assert(
      fc.property(trees, (messages) => {
        const nodes = grow(messages);
        for (const node of nodes.values()) {
          const path: string[] = [];
          for (let up: Node | undefined = node; up; up = up.parentId === null ? undefined : nodes.get(up.parentId)) {
            path.unshift(up.id);
          }
          for (let depth = 1; depth <= node.depth; depth++) {
            const found = seek(nodes, node.id, depth);
            expect(found.id).toBe(path[depth - 1]);
            expect(found.steps).toBeLessThanOrEqual(2 * Math.log2(node.depth) + 2);
          }
        }
      }),
      { numRuns: 50 },
    );
  });

  it('searches a 100,000-message path in a few dozen steps', () => {
    const messages = Array.from({ length: 100_000 }, (_, i) => ({
      id: `m${i}`,
      parentId: i === 0 ? null : `m${i - 1}`,
    }));
    const nodes = grow(messages);
    const deepest = seek(nodes, 'm99999', 1);
    expect(deepest.id).toBe('m0');
    expect(deepest.steps).toBeLessThanOrEqual(2 * Math.log2(100_000) + 2);
    expect(seek(nodes, 'm99999', 51)).toMatchObject({ id: 'm50' });
  });

  it('refuses a message listed before its parent', () => {
    expect(() =>
      ancestries([
        { id: 'b', parentId: 'a' },
        { id: 'a', parentId: null },
      ]),
    ).toThrow(/before its parent/);
  });
});
