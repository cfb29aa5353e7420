/**
 * Reads Jupyter notebooks (`.ipynb`, nbformat 4) as Jupyter, VS Code and Colab save them: `source` and
 * stream `text` as one string or a list of strings, outputs split over many stream chunks, `\r` progress
 * updates kept as they are in the text. Only what TrainDx uses is kept: each cell's source and its stream
 * outputs. Rich outputs (images, HTML, JSON) are skipped without being looked at, so a notebook with
 * megabytes of base64 images costs little beyond `JSON.parse` itself.
 */

export const CELL_KINDS = ['code', 'markdown', 'raw'] as const;
export type CellKind = (typeof CELL_KINDS)[number];

/** One stream output chunk, as stored: `stdout` or `stderr`, and its text. */
export interface StreamChunk {
  readonly name: string;
  readonly text: string;
}

export interface NotebookCell {
  /** 0-based position among all the notebook's cells (VS Code's `NotebookCell.index`); users read it 1-based. */
  readonly index: number;
  readonly kind: CellKind;
  /** The cell's source, its list form joined. */
  readonly source: string;
  /** The `In [n]` counter Jupyter shows, null when the cell never ran. */
  readonly executionCount: number | null;
  /** Stream outputs in order; other outputs are not kept. Empty for markdown and raw cells. */
  readonly streams: readonly StreamChunk[];
}

export interface Notebook {
  /** The kernel's language (`python` when the notebook does not say). */
  readonly language: string;
  readonly cells: readonly NotebookCell[];
}

export type NotebookParse =
  | { readonly ok: true; readonly notebook: Notebook }
  | { readonly ok: false; readonly reason: string };

/** nbformat's multiline string: a string, or a list of strings to be joined. Anything else reads as empty. */
function multiline(value: unknown): string {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) return '';
  let text = '';
  for (const part of value) if (typeof part === 'string') text += part;
  return text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function languageOf(metadata: unknown): string {
  if (!isObject(metadata)) return 'python';
  const kernel = metadata.kernelspec;
  if (isObject(kernel) && typeof kernel.language === 'string' && kernel.language) return kernel.language.toLowerCase();
  const info = metadata.language_info;
  if (isObject(info) && typeof info.name === 'string' && info.name) return info.name.toLowerCase();
  return 'python';
}

function streamsOf(outputs: unknown): StreamChunk[] {
  if (!Array.isArray(outputs)) return [];
  const streams: StreamChunk[] = [];
  for (const output of outputs) {
    // Only `output_type` and, for streams, `name` and `text` are read: rich `data` is never touched.
    if (!isObject(output) || output.output_type !== 'stream') continue;
    const text = multiline(output.text);
    if (text.length > 0) streams.push({ name: typeof output.name === 'string' ? output.name : 'stdout', text });
  }
  return streams;
}

/**
 * Parses the text of an `.ipynb` file. Invalid or truncated JSON, JSON that is not a notebook, and
 * nbformat 3 notebooks give a reason for the user instead of an exception.
 */
export function parseNotebook(text: string): NotebookParse {
  let document: unknown;
  try {
    document = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const truncated = /end of (?:JSON )?(?:input|data)|Unterminated/i.test(detail) ? '; the file looks truncated' : '';
    return { ok: false, reason: `is not valid JSON (${detail})${truncated}` };
  }
  if (!isObject(document)) return { ok: false, reason: 'is JSON but not a Jupyter notebook (not an object)' };
  if (typeof document.nbformat === 'number' && document.nbformat < 4) {
    return { ok: false, reason: `uses nbformat ${document.nbformat}; TrainDx reads nbformat 4 (save it again from Jupyter to upgrade it)` };
  }
  if (!Array.isArray(document.cells)) return { ok: false, reason: 'is JSON but not a Jupyter notebook (no "cells" list)' };
  const cells: NotebookCell[] = [];
  document.cells.forEach((cell: unknown, index: number) => {
    if (!isObject(cell)) {
      cells.push({ index, kind: 'raw', source: '', executionCount: null, streams: [] });
      return;
    }
    const kind: CellKind = cell.cell_type === 'code' || cell.cell_type === 'markdown' ? cell.cell_type : 'raw';
    const count = cell.execution_count;
    cells.push({
      index,
      kind,
      source: multiline(cell.source),
      executionCount: kind === 'code' && typeof count === 'number' ? count : null,
      streams: kind === 'code' ? streamsOf(cell.outputs) : [],
    });
  });
  return { ok: true, notebook: { language: languageOf(document.metadata), cells } };
}
