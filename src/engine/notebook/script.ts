/**
 * A notebook's code cells as one virtual Python script, in document order, so that the code rules see what
 * the kernel sees: the model defined in one cell, the training loop in another. Offsets in the script map
 * back to (cell, offset in the cell's source).
 *
 * IPython syntax is not Python: line magics and shell lines (`%matplotlib inline`, `!pip install ...`,
 * `files = !ls`) and cell magics (`%%bash`) are replaced by spaces of the same length (by `pass` when the
 * line sits in an indented block, so the block stays valid), keeping every offset where it was. The cell
 * magics whose body is Python (`%%time`, `%%timeit`, `%%capture`, `%%prun`) lose only their first line, the
 * line magics that time a statement (`%time model.fit(x)`) only the magic and its options.
 * Which lines are magics is decided on the tree-sitter tree of the cell: a `%` or `!` that starts a line
 * (or the value of an assignment) and that the Python grammar could not read (inside an ERROR node, not in
 * a string); a `%` continuing an expression in brackets or a `!` in a docstring is left alone.
 */

import type { NotebookCell } from './ipynb';
import type { PythonParser, SyntaxNode } from '../code/python';

/** Where a code cell's source sits in the virtual script. */
export interface CellSpan {
  /** 0-based index of the cell in the notebook. */
  readonly cell: number;
  readonly start: number;
  /** Length of the cell's source; the script puts one `\n` after it. */
  readonly length: number;
}

export interface NotebookScript {
  readonly text: string;
  /** The code cells in document order. */
  readonly spans: readonly CellSpan[];
}

/** Cell magics whose body runs as Python. */
const PYTHON_BODY_MAGICS = new Set(['time', 'timeit', 'capture', 'prun']);

/** Builds the virtual script of a notebook's code cells. */
export function buildNotebookScript(parser: PythonParser, cells: readonly NotebookCell[]): NotebookScript {
  let text = '';
  const spans: CellSpan[] = [];
  for (const cell of cells) {
    if (cell.kind !== 'code') continue;
    const source = blankMagics(parser, cell.source);
    spans.push({ cell: cell.index, start: text.length, length: source.length });
    text += source + '\n';
  }
  return { text, spans };
}

/** The cell holding a script offset. An offset at the end of a cell's source belongs to that cell. */
export function cellAt(script: NotebookScript, offset: number): { span: CellSpan; offset: number } | undefined {
  const spans = script.spans;
  let lo = 0;
  let hi = spans.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (spans[mid].start <= offset) lo = mid;
    else hi = mid - 1;
  }
  const span = spans[lo];
  if (!span || offset < span.start || offset > span.start + span.length) return undefined;
  return { span, offset: offset - span.start };
}

/** Replaces a cell's IPython-only lines by whitespace of the same length (see the file comment). */
export function blankMagics(parser: PythonParser, source: string): string {
  const chars = source.split('');
  let from = 0;
  if (source.startsWith('%%')) {
    const end = lineEndAt(source, 0);
    const name = source.slice(2, end).trim().split(/\s/, 1)[0];
    blank(chars, 0, end);
    if (!PYTHON_BODY_MAGICS.has(name)) {
      blank(chars, end, source.length);
      return chars.join('');
    }
    from = end;
  }
  const candidates = magicCandidates(source, from);
  if (candidates.length === 0) return chars.join('');
  parser.withTree(source, (tree) => {
    for (const { lineStart, at } of candidates) {
      if (!unreadable(tree.rootNode.descendantForIndex(at))) continue;
      let end = lineEndAt(source, at);
      const indent = skipSpaces(source, lineStart, end) - lineStart;
      // `%time model.fit(x)`: only the magic goes, the statement it times stays.
      const body = at === lineStart + indent ? timedStatement(source, at, end) : end;
      if (body < end) {
        blank(chars, at, body);
        continue;
      }
      blank(chars, lineStart + indent, end);
      // A shell line continued with a backslash takes the next lines with it.
      while (source.charCodeAt(end - 1) === 92 /* \ */ && end < source.length) {
        const next = end + (source.startsWith('\r\n', end) ? 2 : 1);
        end = lineEndAt(source, next);
        blank(chars, next, end);
      }
      // In an indented block the line becomes `pass`, so the block is not left empty.
      const start = lineStart + indent;
      if (indent > 0 && lineEndAt(source, start) - start >= 4) chars.splice(start, 4, 'p', 'a', 's', 's');
    }
  });
  return chars.join('');
}

/** Lines whose first character (or first character after `name =`) is `%` or `!`: possible magics. */
function magicCandidates(source: string, from: number): { lineStart: number; at: number }[] {
  const found: { lineStart: number; at: number }[] = [];
  for (let lineStart = from; lineStart < source.length; ) {
    const end = lineEndAt(source, lineStart);
    let at = skipSpaces(source, lineStart, end);
    const first = source[at];
    if (first !== '%' && first !== '!') {
      // `files = !ls`, `t = %timeit -o f()`: an identifier, `=`, then the magic.
      let i = at;
      while (i < end && isNameChar(source.charCodeAt(i))) i++;
      i = skipSpaces(source, i, end);
      if (i > at && source[i] === '=' && source[i + 1] !== '=') {
        const value = skipSpaces(source, i + 1, end);
        if (source[value] === '%' || source[value] === '!') at = value;
      }
    }
    if (source[at] === '%' || source[at] === '!') found.push({ lineStart, at });
    lineStart = nextLineStart(source, end);
  }
  return found;
}

/** Line magics whose argument is a Python statement, and their options that take a value. */
const TIMING_MAGICS = new Set(['time', 'timeit', 'prun']);
const VALUE_OPTIONS = new Set(['-n', '-r', '-p', '-s', '-l', '-T', '-D']);

/**
 * For `%time stmt`, `%timeit -n 10 stmt`, `%prun stmt`: the offset where the statement starts; `end` for
 * any other line (the whole line is a magic or shell command).
 */
function timedStatement(source: string, at: number, end: number): number {
  if (source[at] !== '%') return end;
  const words = source.slice(at + 1, end).split(' ');
  if (!TIMING_MAGICS.has(words[0])) return end;
  let i = 1;
  while (i < words.length && (words[i] === '' || words[i].startsWith('-'))) i += VALUE_OPTIONS.has(words[i]) ? 2 : 1;
  if (i >= words.length) return end;
  return at + 1 + words.slice(0, i).join(' ').length + 1;
}

/** Whether the grammar could not read the token at a node: it is inside an ERROR node and not in a string. */
function unreadable(node: SyntaxNode | null): boolean {
  let error = false;
  for (let n = node; n; n = n.parent) {
    if (n.type === 'string' || n.type === 'string_content' || n.type === 'comment') return false;
    if (n.type === 'ERROR' || n.isError) error = true;
  }
  return error;
}

function skipSpaces(source: string, at: number, end: number): number {
  while (at < end && (source[at] === ' ' || source[at] === '\t')) at++;
  return at;
}

/** `[A-Za-z0-9_.]`: the characters of a dotted name before an `=`. */
function isNameChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46;
}

/** Offset of the line break (or the end) of the line holding `at`. */
function lineEndAt(source: string, at: number): number {
  for (let i = at; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 10 || c === 13) return i;
  }
  return source.length;
}

function nextLineStart(source: string, lineEnd: number): number {
  if (source.startsWith('\r\n', lineEnd)) return lineEnd + 2;
  return lineEnd + 1;
}

/** Replaces `chars[start, end)` by spaces, keeping line breaks. */
function blank(chars: string[], start: number, end: number): void {
  for (let i = start; i < end; i++) if (chars[i] !== '\n' && chars[i] !== '\r') chars[i] = ' ';
}
