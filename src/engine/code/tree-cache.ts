/**
 * The trees of the last few texts parsed, for two things an editor does all the time:
 *
 * - asking about the same text again: one change to a script is read by the code rules, the log linker, the
 *   project reader and the cross-file rules, each of which used to parse it afresh. A kept tree is handed out
 *   again, and with it every per-tree answer the rules memoised (`python.ts`);
 * - asking about a text that differs a little from one kept (the script after a keystroke): tree-sitter
 *   re-parses only around the change when it is given the old tree and the edit. The edit is computed here from
 *   the two texts (the common prefix and suffix), not taken from the editor's change events, so it is right
 *   whatever order and shape those events come in.
 *
 * A kept tree may be in use by a caller further up the stack (analysing `train.py` parses `model.py` on the way):
 * trees in use are pinned and never freed until released.
 */

/** What the cache needs of web-tree-sitter (a structural subset of its `Tree`), so that tests can stand in. */
export interface CachedTree {
  copy(): this;
  delete(): void;
  edit(edit: TreeEdit): void;
}

/** Tree-sitter's edit: offsets and (row, column) points in UTF-16 code units, as web-tree-sitter takes them. */
export interface TreeEdit {
  readonly startIndex: number;
  readonly oldEndIndex: number;
  readonly newEndIndex: number;
  readonly startPosition: Point;
  readonly oldEndPosition: Point;
  readonly newEndPosition: Point;
}

export interface Point {
  readonly row: number;
  readonly column: number;
}

interface Entry<T> {
  readonly text: string;
  readonly tree: T;
  /** Callers using the tree right now. */
  pins: number;
}

/** How many trees are kept by default (a script, the modules it imports, a notebook's cells joined, ...). */
export const KEPT_TREES = 4;
/**
 * At most this many characters of source are kept in trees beyond the most recent one: a kept tree holds its
 * wasm memory and every answer the rules memoised about it (a few MB for a 5,000-line script).
 */
export const KEPT_CHARACTERS = 1_000_000;
/** A kept text is a starting point for another when they share at least this part of the longer one. */
const MIN_SHARED = 0.5;

export class TreeCache<T extends CachedTree> {
  /** Least recently used first. */
  private readonly entries: Entry<T>[] = [];

  /**
   * @param parse tree-sitter's parse, from scratch or from an edited old tree.
   * @param kept how many trees to keep once no caller uses them.
   */
  constructor(
    private readonly parse: (text: string, old?: T) => T,
    private readonly kept: number = KEPT_TREES,
  ) {}

  /**
   * Runs `fn` on the tree of `text`: a kept one, or a new one parsed (from a kept tree of a similar text when
   * there is one) and kept. The tree belongs to the cache: `fn` must not delete it or keep it past its return.
   */
  use<R>(text: string, fn: (tree: T) => R): R {
    const entry = this.entryFor(text);
    entry.pins++;
    try {
      return fn(entry.tree);
    } finally {
      entry.pins--;
      this.trim();
    }
  }

  /** A tree of `text` that the caller owns and deletes (a copy of the kept one: copies are cheap). */
  take(text: string): T {
    return this.use(text, (tree) => tree.copy());
  }

  /** How many trees are kept now (for tests). */
  get size(): number {
    return this.entries.length;
  }

  private entryFor(text: string): Entry<T> {
    const at = this.entries.findIndex((e) => e.text === text);
    if (at !== -1) {
      const [entry] = this.entries.splice(at, 1);
      this.entries.push(entry);
      return entry;
    }
    const entry: Entry<T> = { text, tree: this.parseFromKept(text), pins: 0 };
    this.entries.push(entry);
    return entry;
  }

  /** Parses `text`, starting from the kept tree whose text shares the most with it when that is most of it. */
  private parseFromKept(text: string): T {
    let best: { entry: Entry<T>; edit: TreeEdit; shared: number } | undefined;
    for (const entry of this.entries) {
      const edit = textEdit(entry.text, text);
      const shared = edit.startIndex + (text.length - edit.newEndIndex);
      if (shared >= MIN_SHARED * Math.max(text.length, entry.text.length) && (!best || shared > best.shared)) best = { entry, edit, shared };
    }
    if (!best) return this.parse(text);
    const old = best.entry.tree.copy();
    try {
      old.edit(best.edit);
      return this.parse(text, old);
    } finally {
      old.delete();
    }
  }

  /**
   * Frees the least recently used trees beyond the number kept, and beyond `KEPT_CHARACTERS` of text (the most
   * recent tree aside), skipping those in use.
   */
  private trim(): void {
    let characters = 0;
    for (const entry of this.entries) characters += entry.text.length;
    for (let i = 0; i < this.entries.length; ) {
      const entry = this.entries[i];
      const recent = i === this.entries.length - 1 && this.kept > 0;
      const over = this.entries.length > this.kept || (characters > KEPT_CHARACTERS && !recent);
      if (!over) break;
      if (entry.pins > 0 || recent) {
        i++;
        continue;
      }
      this.entries.splice(i, 1);
      characters -= entry.text.length;
      entry.tree.delete();
    }
  }
}

/**
 * The one edit that turns `before` into `after`: everything between their common prefix and common suffix
 * replaced. Never splits a surrogate pair.
 */
export function textEdit(before: string, after: string): TreeEdit {
  const max = Math.min(before.length, after.length);
  let start = 0;
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  if (start > 0 && start < max && isLowSurrogate(after.charCodeAt(start))) start--;
  let oldEnd = before.length;
  let newEnd = after.length;
  while (oldEnd > start && newEnd > start && before.charCodeAt(oldEnd - 1) === after.charCodeAt(newEnd - 1)) {
    oldEnd--;
    newEnd--;
  }
  if (oldEnd < before.length && newEnd < after.length && isLowSurrogate(after.charCodeAt(newEnd))) {
    oldEnd++;
    newEnd++;
  }
  return {
    startIndex: start,
    oldEndIndex: oldEnd,
    newEndIndex: newEnd,
    startPosition: pointAt(before, start),
    oldEndPosition: pointAt(before, oldEnd),
    newEndPosition: pointAt(after, newEnd),
  };
}

/** Tree-sitter's point of an offset: rows end at `\n` only (a lone `\r` is a character to it), columns in code units. */
export function pointAt(text: string, offset: number): Point {
  let row = 0;
  let lineStart = 0;
  for (let nl = text.indexOf('\n'); nl !== -1 && nl < offset; nl = text.indexOf('\n', nl + 1)) {
    row++;
    lineStart = nl + 1;
  }
  return { row, column: offset - lineStart };
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
