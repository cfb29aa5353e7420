/**
 * A code cell's stream output is a log: stdout and stderr chunks joined in order, sniffed and parsed by the
 * log parsers, each run the parsers find (a second `fit` call in the cell restarts the epoch counter) a run.
 *
 * Lines: parsers number lines as editors do, where a lone `\r` (a progress update) also ends a line. Users
 * read a cell's output as Jupyter shows it, with each `\r` update drawn over the last, so run lines are
 * turned into output lines: 1-based, counted at `\n` only, over the cell's stream text.
 */

import { parseLog } from '../logs';
import type { Run, Series } from '../types';
import type { NotebookCell } from './ipynb';

/** A cell's stream output as one text, and the map from the parsers' line numbers to output lines. */
export interface CellOutputText {
  readonly text: string;
  /** `outputLineOf[n]` is the output line holding editor line `n` (1-based; index 0 unused). */
  readonly outputLineOf: Uint32Array;
}

/**
 * Joins a cell's stream chunks. Chunks of one stream join as they are (a line may be split across chunks);
 * where the output switches between stdout and stderr in the middle of a line, a line break is added,
 * because Jupyter draws the two streams in separate areas (a tqdm bar on stderr does not run into a print).
 */
export function cellOutputText(cell: Pick<NotebookCell, 'streams'>): CellOutputText {
  let text = '';
  let previous: string | undefined;
  for (const chunk of cell.streams) {
    if (previous !== undefined && chunk.name !== previous && text.length > 0 && !text.endsWith('\n')) text += '\n';
    text += chunk.text;
    previous = chunk.name;
  }
  return { text, outputLineOf: outputLines(text) };
}

/** For each editor line (ended by `\n`, `\r\n` or a lone `\r`), the output line (ended by `\n`) it lies on. */
function outputLines(text: string): Uint32Array {
  let breaks = 0;
  for (let i = text.indexOf('\r'); i !== -1; i = text.indexOf('\r', i + 1)) if (text.charCodeAt(i + 1) !== 10) breaks++;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) breaks++;
  const map = new Uint32Array(breaks + 2);
  let editor = 1;
  let output = 1;
  map[1] = 1;
  let at = 0;
  while (at < text.length) {
    const nl = text.indexOf('\n', at);
    const cr = text.indexOf('\r', at);
    if (cr !== -1 && (nl === -1 || cr < nl)) {
      if (text.charCodeAt(cr + 1) !== 10) map[++editor] = output;
      at = cr + 1;
    } else if (nl !== -1) {
      map[++editor] = ++output;
      at = nl + 1;
    } else break;
  }
  return map;
}

/** A run read from one cell's output, with series lines as output lines of that cell. */
export interface CellRun {
  /** 0-based index of the cell. */
  readonly cell: number;
  readonly format: string;
  readonly run: Run;
}

/**
 * The runs in a code cell's stream output; none when the output is not a training log the parsers know.
 * `source` names the runs (the notebook's path as given).
 */
export function cellRuns(cell: NotebookCell, source: string): { runs: CellRun[]; notes: string[] } {
  if (cell.kind !== 'code' || cell.streams.length === 0) return { runs: [], notes: [] };
  const { text, outputLineOf } = cellOutputText(cell);
  const parsed = parseLog(text, source);
  if (!parsed.ok) return { runs: [], notes: [] };
  const toOutput = (line: number) => outputLineOf[Math.min(line, outputLineOf.length - 1)] || line;
  const runs = parsed.runs.map((run) => ({
    cell: cell.index,
    format: parsed.format,
    run: { ...run, series: run.series.map((s) => remapLines(s, toOutput)) },
  }));
  return { runs, notes: parsed.notes };
}

function remapLines(series: Series, toOutput: (line: number) => number): Series {
  const line = new Uint32Array(series.length);
  for (let i = 0; i < series.length; i++) line[i] = toOutput(series.line[i]);
  return {
    name: series.name,
    metric: series.metric,
    split: series.split,
    epoch: series.epoch,
    step: series.step,
    wallTime: series.wallTime,
    value: series.value,
    line,
    length: series.length,
  };
}
