import type { Run } from '../types';
import type { LogFormat, LogParser } from './parser';
import { flattenNumbers, isNotMetric, isObject, isXKey, parsePythonJson } from './records';
import { RunBuilder } from './series-builder';

/**
 * Hugging Face `trainer_state.json`: one JSON document, rewritten whole on each save, whose
 * `log_history` holds the training log (`loss`, `grad_norm`, `learning_rate`, fractional `epoch`,
 * `step`) and the evaluations (`eval_loss`, `eval_accuracy`, ... in the val split). The end-of-training
 * summary entry (`train_runtime`, `train_loss` averaged over the whole run) is not a point.
 *
 * Being one document, it cannot be parsed line by line: text accumulates and is parsed when `runs()`
 * asks, at a cost proportional to the file (these files stay small: one entry per logging step). A
 * document that does not parse yet (caught half-written) gives the last good result with a note, and
 * the next change is tried again. Each point's line is the line where its `log_history` entry starts.
 */

const INCOMPLETE = 'incomplete JSON, will retry on the next change';

export const trainerState: LogFormat = {
  id: 'hf-trainer-state',
  rewritten: true,
  sniff(head) {
    return /^\uFEFF?\s*\{/.test(head) && /"log_history"\s*:\s*\[/.test(head);
  },
  create(source) {
    return new TrainerStateParser(source);
  },
};

class TrainerStateParser implements LogParser {
  readonly format = trainerState.id;
  private text = '';
  private dirty = false;
  private good: Run[] = [];
  private problem: string | undefined;

  constructor(private readonly source: string) {}

  feed(chunk: string | Uint8Array): void {
    if (typeof chunk !== 'string') throw new TypeError('hf-trainer-state is a text format');
    if (chunk.length === 0) return;
    this.text += chunk;
    this.dirty = true;
  }

  finish(): void {
    // The document is parsed whole whenever runs are asked for; there is no partial line to flush.
  }

  runs(): Run[] {
    this.parse();
    return this.good;
  }

  notes(): string[] {
    this.parse();
    return this.problem ? [this.problem] : [];
  }

  private parse(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const text = this.text.charCodeAt(0) === 0xfeff ? this.text.slice(1) : this.text;
    const document = parsePythonJson(text);
    if (!isObject(document)) {
      this.problem = INCOMPLETE;
      this.good = this.good.map((run) => ({ ...run, notes: [INCOMPLETE] }));
      return;
    }
    const history = document.log_history;
    if (!Array.isArray(history)) {
      this.problem = 'no `log_history` list in the document';
      this.good = [];
      return;
    }
    this.problem = undefined;
    const lines = entryLines(text, history.length);
    const run = new RunBuilder(this.source, this.format, 0);
    for (let i = 0; i < history.length; i++) {
      const entry = history[i];
      // The summary written when training ends averages the whole run: not a point of any curve.
      if (!isObject(entry) || 'train_runtime' in entry) continue;
      const epoch = typeof entry.epoch === 'number' ? entry.epoch : NaN;
      const step = typeof entry.step === 'number' ? entry.step : NaN;
      for (const [key, value] of flattenNumbers(entry)) {
        if (!isXKey(key) && !isNotMetric(key)) run.add(key, epoch, step, value, lines[i]);
      }
    }
    if (typeof document.num_train_epochs === 'number') run.totalEpochs = document.num_train_epochs;
    this.good = run.isEmpty ? [] : [run.snapshot([])];
  }
}

/**
 * The 1-based editor line where each of the first `count` elements of the root object's `log_history`
 * array starts, found by one scan of the text that tracks strings and nesting.
 */
function entryLines(text: string, count: number): number[] {
  const starts: number[] = [];
  let depth = 0;
  let key: string | undefined;
  let inHistory = false;
  let expectElement = false;
  for (let i = 0; i < text.length && starts.length < count; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) continue;
    if (expectElement) {
      starts.push(i);
      expectElement = false;
    }
    if (c === 34 /* " */) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 34) j += text.charCodeAt(j) === 92 ? 2 : 1;
      if (depth === 1) key = text.slice(i + 1, j);
      i = j;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (c === 91 && depth === 1 && key === 'log_history') {
        inHistory = true;
        expectElement = true;
      }
      depth++;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--;
      if (depth === 1) inHistory = false;
    } else if (c === 44 /* , */ && inHistory && depth === 2) {
      expectElement = true;
    }
  }
  // Offsets to editor lines: `\n`, `\r\n` and a lone `\r` each end a line.
  const lines: number[] = [];
  let line = 1;
  let at = 0;
  for (const start of starts) {
    for (; at < start; at++) {
      const c = text.charCodeAt(at);
      if (c === 10 || (c === 13 && text.charCodeAt(at + 1) !== 10)) line++;
    }
    lines.push(line);
  }
  while (lines.length < count) lines.push(line);
  return lines;
}
