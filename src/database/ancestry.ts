/**
 * Jump pointers over the message tree, so that the ancestor of a message at any depth is found in O(log depth)
 * steps instead of one step per level (E. W. Myers, "An applicative random-access stack", 1983). Every message
 * keeps its depth and one ancestor further up than its parent; both are set once, when it is written, like the
 * parent itself, and never change: a path's messages are never moved, only deleted with everything below them.
 *
 * That is what lets a page of a long branch read from the root (`order=asc`) cost the same as one read from the
 * leaf: without them, finding the root of a 10,000-message branch walked every message on it.
 */

/** Where a message stands on its path. */
export interface Ancestry {
  /** 1 for a first message, its parent's + 1 otherwise. */
  depth: number;
  /** An ancestor at most as deep as the parent; null for a first message. */
  jumpId: string | null;
}

/**
 * The ancestry of a new child of `parent` (null: a first message). `lookup` answers the ancestry of the
 * parent's jump target and of that one's own target, the two messages the rule looks at: the child jumps over
 * twice the distance when the parent's two jumps are of equal length, and to the parent otherwise, which keeps
 * the jump lengths in the skew-binary pattern that bounds a search by 2 log2(depth) steps.
 */
export function childAncestry(
  parent: (Ancestry & { id: string }) | null,
  lookup: (id: string) => Ancestry | undefined,
): Ancestry {
  if (!parent) return { depth: 1, jumpId: null };
  const jump = parent.jumpId === null ? undefined : lookup(parent.jumpId);
  const jumpJump = jump?.jumpId == null ? undefined : lookup(jump.jumpId);
  const doubles = jump && jumpJump && parent.depth - jump.depth === jump.depth - jumpJump.depth;
  return { depth: parent.depth + 1, jumpId: doubles ? jump.jumpId : parent.id };
}

/**
 * Ancestries for a path or a whole conversation given oldest first (each message after its parent), keyed by id:
 * what a migration or a bulk copy writes.
 */
export function ancestries(messages: Iterable<{ id: string; parentId: string | null }>): Map<string, Ancestry> {
  const known = new Map<string, Ancestry>();
  for (const message of messages) {
    const parent = message.parentId === null ? undefined : known.get(message.parentId);
    if (message.parentId !== null && !parent) {
      throw new Error(`message ${message.id} comes before its parent ${message.parentId}`);
    }
    known.set(
      message.id,
      childAncestry(parent ? { id: message.parentId!, ...parent } : null, (id) => known.get(id)),
    );
  }
  return known;
}
