// `npm run bench`, files section (issue 3): a workspace of 1,000 runs indexed without blocking, a 2 GB log
// streamed, and one line appended to a 1 GB log. Each figure comes with a baseline measured in the same run.
// `--quick` skips the 2 GB and 1 GB files.
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { detectCurves } from '../src/engine/curves';
import { parseLog } from '../src/engine/logs';
import { Indexer, Priority } from '../src/node/indexer';
import { LogFile, type LogState } from '../src/node/log-file';

const RUNS = 1000;
const ROUNDS = 5;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MB = 1024 * 1024;

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(2)} ms`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchFiles(rows: string[][]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'traindx-bench-files-'));
  try {
    await benchIndex(rows, dir);
    if (process.argv.includes('--quick')) {
      rows.push(['2 GB log / 1 GB append', 'skipped (--quick)', '', '']);
      return;
    }
    await benchBigLog(rows, dir);
    await benchAppend(rows, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------
// (a) 1,000 small runs

/** A small run log in one of three shapes, with a little noise so the detectors have work to do. */
function smallLog(i: number): { name: string; text: string } {
  const epochs = 20 + (i % 41);
  let seed = i + 1;
  const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.02;
  const loss = (e: number) => (1.2 / (1 + 0.2 * e) + noise()).toFixed(4);
  const acc = (e: number) => (0.95 - 0.45 / (1 + 0.2 * e) + noise()).toFixed(4);
  let text = '';
  switch (i % 3) {
    case 0:
      for (let e = 1; e <= epochs; e++) {
        text += `Epoch ${e}/${epochs}\n1875/1875 - 4s - loss: ${loss(e)} - accuracy: ${acc(e)} - val_loss: ${loss(e + 1)} - val_accuracy: ${acc(e - 1)} - 4s/epoch - 2ms/step\n`;
      }
      return { name: 'train.log', text };
    case 1:
      for (let e = 1; e <= epochs; e++) {
        for (let step = 100; step <= 600; step += 100) {
          text += `Epoch [${e}/${epochs}], Step [${step}/600], Loss: ${loss(e - 1 + step / 600)}, Acc: ${acc(e - 1 + step / 600)}\n`;
        }
      }
      return { name: 'output.log', text };
    default:
      text = 'epoch,accuracy,loss,lr,val_accuracy,val_loss\n';
      for (let e = 0; e < epochs; e++) text += `${e},${acc(e)},${loss(e)},0.001,${acc(e - 1)},${loss(e + 1)}\n`;
      return { name: 'history.csv', text };
  }
}

function writeRuns(root: string): string[] {
  const paths: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const folder = join(root, `exp-${String(Math.floor(i / 100)).padStart(2, '0')}`, `run-${String(i).padStart(4, '0')}`);
    mkdirSync(folder, { recursive: true });
    const { name, text } = smallLog(i);
    const path = join(folder, name);
    const fd = openSync(path, 'w');
    writeSync(fd, text);
    closeSync(fd);
    paths.push(path);
  }
  return paths;
}

interface IndexFigures {
  ms: number;
  /** CPU time of the process (user + system): less sensitive than wall time to other processes. */
  cpuMs: number;
  maxDelay: number;
  p99Delay: number;
  /** When the file the user looks at (the last one found) was read, from the start. */
  visibleAt: number;
  findings: number;
}

/** Measures one way of indexing: total time, event-loop delay during it, and when the visible file was ready. */
async function measureIndex(paths: string[], index: (onRead: (path: string, state: LogState) => void) => Promise<void>): Promise<IndexFigures> {
  const visible = paths[paths.length - 1];
  let visibleAt = NaN;
  let findings = 0;
  // Every variant keeps what it read, as the adapter does: the same live heap for the collector to walk.
  const kept: LogState[] = [];
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  // Start each variant with the previous one's garbage collected, so its pauses are not counted here.
  gc();
  histogram.enable();
  // The histogram drops its first sample: let it take one before the work starts.
  await new Promise((r) => setTimeout(r, 5));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await index((path, state) => {
    if (path === visible) visibleAt = performance.now() - t0;
    kept.push(state);
    if (state.kind === 'parsed') for (const run of state.runs) findings += detectCurves(run).length;
  });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // A loop that never yielded has not let the histogram's timer record the wait yet.
  await new Promise((r) => setTimeout(r, 5));
  histogram.disable();
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, maxDelay: histogram.max / 1e6, p99Delay: histogram.percentile(99) / 1e6, visibleAt, findings };
}

async function benchIndex(rows: string[][], dir: string): Promise<void> {
  const root = join(dir, 'workspace');
  const paths = writeRuns(root);
  const bytes = paths.reduce((n, p) => n + statSync(p).size, 0);
  for (const path of paths) readFileSync(path); // warm the page cache for every variant alike

  const indexer = () =>
    measureIndex(paths, async (onRead) => {
      const indexer = new Indexer({
        // The adapter's per-file work: read what is new, then the detectors, with a turn between them if due.
        read: async (path, checkpoint) => {
          const state = await new LogFile(path).update();
          await checkpoint();
          onRead(path, state);
        },
      });
      for (const path of paths.slice(0, -1)) indexer.add(path);
      indexer.add(paths[paths.length - 1], Priority.visible);
      await indexer.idle();
    });
  // Baseline 1: the scan before the indexer, one awaited read after the other in the order found.
  const sequential = () =>
    measureIndex(paths, async (onRead) => {
      for (const path of paths) onRead(path, await new LogFile(path).update());
    });
  // Baseline 2: the same files in one tight synchronous loop, never giving the event loop a turn.
  const tight = () =>
    measureIndex(paths, async (onRead) => {
      for (const path of paths) {
        const parsed = parseLog(readFileSync(path, 'utf8'), path);
        onRead(path, parsed.ok ? { kind: 'parsed', format: parsed.format, runs: parsed.runs, notes: parsed.notes } : { kind: 'unrecognised', reason: parsed.reason });
      }
    });

  // Five rounds, each variant taking its turn first: the machine's noise (other processes) spreads evenly.
  const variants = { indexer, sequential, tight };
  const results: Record<keyof typeof variants, IndexFigures[]> = { indexer: [], sequential: [], tight: [] };
  const names = Object.keys(variants) as (keyof typeof variants)[];
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length];
      results[name].push(await variants[name]());
    }
  }
  const row = (label: string, detail: string, figures: IndexFigures[]) => {
    const pick = (f: (x: IndexFigures) => number) => median(figures.map(f));
    rows.push([
      label,
      detail,
      fmt(pick((x) => x.ms)),
      `CPU ${fmt(pick((x) => x.cpuMs))}; event loop max ${fmt(pick((x) => x.maxDelay))}, p99 ${fmt(pick((x) => x.p99Delay))}; visible log read at ${fmt(pick((x) => x.visibleAt))}`,
    ]);
  };
  const findings = results.indexer[0].findings;
  row(`Index ${RUNS} runs (indexer, median of ${ROUNDS})`, `${(bytes / MB).toFixed(1)} MB Keras/text/CSV, ${findings} finding(s)`, results.indexer);
  row('  baseline: awaited reads in a loop', `${results.sequential[0].findings} finding(s)`, results.sequential);
  row('  baseline: one synchronous loop', `${results.tight[0].findings} finding(s)`, results.tight);
  rmSync(root, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------------
// (b) a 2 GB log, (c) one line appended to a 1 GB log

/**
 * A Keras verbose-1 log of about `targetBytes`, written in 8 MB blocks: each epoch is its `Epoch n/N`
 * line, 199 `\b`/`\r` progress updates (the same for every epoch, built once) and the epoch's last update.
 */
function writeKerasLog(path: string, targetBytes: number): number {
  let progress = '';
  let previous = 0;
  for (let step = 1; step < 200; step++) {
    const bar = `${'='.repeat(Math.floor(step / 7))}>${'.'.repeat(29 - Math.floor(step / 7))}`;
    const line = `${String(step).padStart(3)}/200 [${bar}] - ETA: 3s - loss: ${(0.9 - step / 1000).toFixed(4)} - accuracy: ${(0.5 + step / 1000).toFixed(4)}`;
    progress += (previous > 0 ? '\b'.repeat(previous) + '\r' : '') + line;
    previous = line.length;
  }
  const erase = '\b'.repeat(previous) + '\r';
  const fd = openSync(path, 'w');
  let bytes = 0;
  let epoch = 0;
  let block: string[] = [];
  let blockLength = 0;
  while (bytes + blockLength < targetBytes) {
    epoch++;
    const end = `200/200 [==============================] - 12s 60ms/step - loss: ${(1 / (1 + epoch / 1000)).toFixed(4)} - accuracy: 0.9000 - val_loss: 0.4000 - val_accuracy: 0.8500\n`;
    const text = `Epoch ${epoch}/1000000\n${progress}${erase}${end}`;
    block.push(text);
    blockLength += text.length;
    if (blockLength >= 8 * MB) {
      bytes += writeSync(fd, block.join(''));
      block = [];
      blockLength = 0;
    }
  }
  if (block.length > 0) bytes += writeSync(fd, block.join(''));
  closeSync(fd);
  return epoch;
}

/** A step-level text log (PyTorch prints, one line per 10 steps) of about `targetBytes`, in 8 MB blocks. */
function writeTextLog(path: string, targetBytes: number): number {
  const fd = openSync(path, 'w');
  let bytes = 0;
  let epoch = 0;
  while (bytes < targetBytes) {
    const block: string[] = [];
    let length = 0;
    while (length < 8 * MB) {
      epoch++;
      for (let step = 10; step <= 600; step += 10) {
        const line = `Epoch [${epoch}/1000000], Step [${step}/600], Loss: ${(1 / (1 + epoch + step / 600)).toFixed(4)}, Acc: ${(0.9 - 0.4 / (1 + epoch + step / 600)).toFixed(4)}, lr: 1.0e-03\n`;
        block.push(line);
        length += line.length;
      }
    }
    bytes += writeSync(fd, block.join(''));
  }
  closeSync(fd);
  return epoch;
}

const pointsOf = (state: LogState) => (state.kind === 'parsed' ? state.runs.reduce((n, r) => n + r.series.reduce((m, s) => m + s.length, 0), 0) : 0);

/** Runs `fn` while sampling the process's memory every 10 ms; returns the peaks. */
async function withMemoryPeaks<T>(fn: () => Promise<T>): Promise<{ value: T; rss: number; heap: number; external: number }> {
  const peak = { rss: 0, heap: 0, external: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heap = Math.max(peak.heap, m.heapUsed);
    peak.external = Math.max(peak.external, m.external);
  };
  const timer = setInterval(sample, 10);
  sample();
  try {
    const value = await fn();
    sample();
    return { value, ...peak };
  } finally {
    clearInterval(timer);
  }
}

async function benchBigLog(rows: string[][], dir: string): Promise<void> {
  const path = join(dir, 'big.log');
  const t0 = performance.now();
  const epochs = writeKerasLog(path, 2048 * MB);
  const written = performance.now() - t0;
  // The same log cut to a quarter: memory that follows the file's size would show as a 4x difference.
  for (const size of [2048 * MB, 512 * MB]) {
    if (statSync(path).size > size) truncateSync(path, size);
    const bytes = statSync(path).size;
    gc();
    const before = process.memoryUsage();
    const t1 = performance.now();
    const read = await withMemoryPeaks(() => new LogFile(path).update(true));
    const ms = performance.now() - t1;
    const detail = size === 2048 * MB ? `${epochs} epochs, written in ${fmt(written)}` : 'the same log cut to 512 MB';
    rows.push(
      [`${(bytes / MB).toFixed(0)} MB Keras log through LogFile`, `${detail}, ${pointsOf(read.value)} points`, fmt(ms), `${(bytes / MB / (ms / 1000)).toFixed(0)} MB/s`],
      [
        '  memory during the read (peak)',
        `before: RSS ${(before.rss / MB).toFixed(0)} MB, heap ${(before.heapUsed / MB).toFixed(0)} MB`,
        `RSS +${((read.rss - before.rss) / MB).toFixed(0)} MB`,
        `heap ${(read.heap / MB).toFixed(0)} MB, off-heap ${(read.external / MB).toFixed(0)} MB; RSS growth = ${((100 * (read.rss - before.rss)) / bytes).toFixed(1)}% of the file`,
      ],
    );
  }
  rmSync(path);
}

async function benchAppend(rows: string[][], dir: string): Promise<void> {
  const cases = [
    {
      // An epoch of Keras verbose 1 is two lines: `Epoch n/N` and its last progress update.
      label: '1 GB Keras log (one epoch: 2 lines)',
      write: (path: string) => writeKerasLog(path, 1024 * MB),
      line: (n: number) => `Epoch ${n}/1000000\n200/200 [==============================] - 12s 60ms/step - loss: 0.0100 - accuracy: 0.9000 - val_loss: 0.4000 - val_accuracy: 0.8500\n`,
    },
    {
      label: '1 GB step-level text log (one line)',
      write: (path: string) => writeTextLog(path, 1024 * MB),
      line: (n: number) => `Epoch [${n}/1000000], Step [10/600], Loss: 0.0100, Acc: 0.5100, lr: 1.0e-03\n`,
    },
  ];
  for (const { label, write, line } of cases) {
    const path = join(dir, 'append.log');
    const last = write(path);
    const mb = statSync(path).size / MB;
    const live = new LogFile(path);
    const t0 = performance.now();
    const first = await live.update();
    const full = performance.now() - t0;
    const times: number[] = [];
    let state = first;
    for (let i = 1; i <= 5; i++) {
      const fd = openSync(path, 'a');
      writeSync(fd, line(last + i));
      closeSync(fd);
      const t = performance.now();
      state = await live.update();
      times.push(performance.now() - t);
    }
    const append = median(times);
    const detect = performance.now();
    const findings = state.kind === 'parsed' ? state.runs.reduce((n, r) => n + detectCurves(r).length, 0) : 0;
    const detectMs = performance.now() - detect;
    rows.push(
      [`Append to a ${label}`, `${mb.toFixed(0)} MB, ${pointsOf(state)} points`, fmt(append), `median of 5 (target < 50 ms); full read ${fmt(full)} = ${(full / append).toFixed(0)}× the append`],
      ['  then the detectors on the run', `${findings} finding(s)`, fmt(detectMs), ''],
    );
    rmSync(path);
  }
}
