// `npm run bench`: speed of the walking skeleton's hot paths, each against a baseline measured in the same
// run on the same machine, so the ratios mean something across machines. Not a test: nothing asserts.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeCode } from '../src/engine/code';
import { detectCurves } from '../src/engine/curves';
import { RunBuilder } from '../src/engine/logs/series-builder';
import { createPythonParser, type PythonParser } from '../src/engine/code/python';
import { loadPythonParser, readGrammarWasm } from '../src/node/grammar';
import { LogFile } from '../src/node/log-file';
import { fmt, time, timeAsync } from './bench-util';

const dir = mkdtempSync(join(tmpdir(), 'traindx-bench-'));
const rows: string[][] = [];

/** A Keras verbose-1 log as written to a file: 200 `\b`/`\r` progress updates per epoch. */
function writeKerasLog(path: string, targetBytes: number): number {
  const fd = openSync(path, 'w');
  let bytes = 0;
  let epoch = 0;
  while (bytes < targetBytes) {
    epoch++;
    let chunk = `Epoch ${epoch}/100000\n`;
    let previous = 0;
    for (let step = 1; step <= 200; step++) {
      const line = step < 200
        ? `${String(step).padStart(3)}/200 [${'='.repeat(Math.floor(step / 7))}>${'.'.repeat(29 - Math.floor(step / 7))}] - ETA: 3s - loss: ${(1 / (1 + epoch + step / 200)).toFixed(4)} - accuracy: ${(0.5 + 0.4 * (step / 200)).toFixed(4)}`
        : `200/200 [==============================] - 12s 60ms/step - loss: ${(1 / (1 + epoch)).toFixed(4)} - accuracy: 0.9000 - val_loss: 0.4000 - val_accuracy: 0.8500`;
      chunk += (previous > 0 ? '\b'.repeat(previous) + '\r' : '') + line;
      previous = line.length;
    }
    chunk += '\n';
    bytes += writeSync(fd, chunk);
  }
  closeSync(fd);
  return epoch;
}

const PYTHON_PARSER = `
import re, sys
epoch_re = re.compile(r'^\\s*Epoch\\s+(\\d+)/(\\d+)\\s*$')
progress_re = re.compile(r'^\\s*(\\d+)/(\\d+)\\s')
pair_re = re.compile(r'([A-Za-z_][\\w/@.]*):\\s+([-+]?[\\d.]+(?:e[-+]?\\d+)?|nan|inf)')
series = {}
epoch = None
with open(sys.argv[1], encoding='utf-8', errors='replace', newline='') as f:
    for raw in f:
        line = raw.rstrip('\\n').split('\\r')[-1].replace('\\b', '')
        m = epoch_re.match(line)
        if m:
            epoch = int(m.group(1)); continue
        m = progress_re.match(line)
        if m and m.group(1) == m.group(2) and epoch is not None:
            for name, value in pair_re.findall(line):
                if name != 'ETA': series.setdefault(name, []).append((epoch, float(value)))
print(sum(len(v) for v in series.values()))
`;

async function benchLogParsing(): Promise<void> {
  const path = join(dir, 'keras.log');
  const epochs = writeKerasLog(path, 150 * 1024 * 1024);
  const mb = statSync(path).size / 1024 / 1024;
  const ours = await timeAsync(() => new LogFile(path).update(true), 3);
  const state = ours.value;
  const points = state.kind === 'parsed' ? state.runs.reduce((n, r) => n + r.series.reduce((m, s) => m + s.length, 0), 0) : 0;
  const wc = time(() => execFileSync('wc', ['-l', path]), 3);
  writeFileSync(join(dir, 'parse.py'), PYTHON_PARSER);
  const python = time(() => spawnSync('python3', [join(dir, 'parse.py'), path], { encoding: 'utf8' }));
  const pythonPoints = Number(python.value.stdout.trim());
  rows.push(
    ['Keras log parse (streamed, incl. I/O)', `${mb.toFixed(0)} MB, ${epochs} epochs, ${points} points`, fmt(ours.ms), `${(mb / (ours.ms / 1000)).toFixed(0)} MB/s`],
    ['  baseline: wc -l', '', fmt(wc.ms), `ours / wc = ${(ours.ms / wc.ms).toFixed(1)}×`],
    ['  baseline: Python regex parser', `${pythonPoints} points`, fmt(python.ms), `Python / ours = ${(python.ms / ours.ms).toFixed(1)}×`],
  );
  const heap = process.memoryUsage().heapUsed / 1024 / 1024;
  rows.push(['  heap after parse', '', `${heap.toFixed(0)} MB`, '']);
  // Appending one epoch to the parsed file: the work must follow the new bytes, not the file.
  const live = new LogFile(path);
  await live.update();
  const appendLine = `Epoch ${epochs + 1}/100000\n200/200 [==============================] - 12s 60ms/step - loss: 0.1 - accuracy: 0.9 - val_loss: 0.4 - val_accuracy: 0.85\n`;
  const fd = openSync(path, 'a');
  writeSync(fd, appendLine);
  closeSync(fd);
  const append = await timeAsync(() => live.update());
  rows.push(['  append one epoch, re-read', `${appendLine.length} new bytes`, fmt(append.ms), `full parse / append = ${(ours.ms / append.ms).toFixed(0)}×`]);
  rmSync(path);
}

/** A step-level PyTorch-print log: `Epoch [e/E], Step [s/600], Loss: ..., Acc: ..., lr: 1.0e-03`, one line per 10 steps. */
function writeTextLog(path: string, targetBytes: number): number {
  const fd = openSync(path, 'w');
  let bytes = 0;
  let lines = 0;
  for (let epoch = 1; bytes < targetBytes; epoch++) {
    let chunk = '';
    for (let step = 10; step <= 600; step += 10) {
      const loss = 1 / (1 + epoch + step / 600);
      chunk += `Epoch [${epoch}/100000], Step [${step}/600], Loss: ${loss.toFixed(4)}, Acc: ${(0.5 + (0.4 * step) / 600).toFixed(4)}, lr: 1.0e-03\n`;
      lines++;
    }
    bytes += writeSync(fd, chunk);
  }
  closeSync(fd);
  return lines;
}

const PYTHON_TEXT_PARSER = `
import re, sys
pos_re = re.compile(r'[Ee]poch\\s*\\[?(\\d+)(?:/(\\d+))?\\]?,?\\s*(?:[Ss]tep\\s*\\[?(\\d+)/(\\d+)\\]?)?')
pair_re = re.compile(r'([A-Za-z_][\\w ]*?)\\s*[:=]\\s*([-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?|nan|inf|-inf)')
series = {}
with open(sys.argv[1], encoding='utf-8', errors='replace') as f:
    for line in f:
        m = pos_re.search(line)
        if not m: continue
        e = int(m.group(1))
        x = e - 1 + int(m.group(3)) / int(m.group(4)) if m.group(3) else e
        for name, value in pair_re.findall(line, m.end()):
            series.setdefault(name.strip().lower(), []).append((x, float(value)))
print(sum(len(v) for v in series.values()))
`;

/** Issue 3's target: text parsing of a 150+ MB step-level log at least 20x faster than a plain Python regex parser. */
async function benchTextLog(): Promise<void> {
  const path = join(dir, 'train.log');
  const lines = writeTextLog(path, 150 * 1024 * 1024);
  const mb = statSync(path).size / 1024 / 1024;
  const cpu0 = process.cpuUsage();
  const ours = await timeAsync(() => new LogFile(path).update(true), 3);
  const cpu = process.cpuUsage(cpu0);
  const state = ours.value;
  const points = state.kind === 'parsed' ? state.runs.reduce((n, r) => n + r.series.reduce((m, s) => m + s.length, 0), 0) : 0;
  const format = state.kind === 'parsed' ? state.format : state.kind;
  // Bytes held by the runs' typed arrays at their capacity, each buffer once (series may share x columns).
  const buffers = new Set<ArrayBufferLike>();
  if (state.kind === 'parsed') for (const r of state.runs) for (const s of r.series) for (const a of [s.epoch, s.step, s.wallTime, s.value, s.line]) buffers.add(a.buffer);
  const bytes = [...buffers].reduce((n, b) => n + b.byteLength, 0);
  const wc = time(() => execFileSync('wc', ['-l', path]), 3);
  writeFileSync(join(dir, 'parse_text.py'), PYTHON_TEXT_PARSER);
  // Best of 3, as ours: the baseline gets the same chance at a quiet moment.
  const python = time(() => spawnSync('python3', [join(dir, 'parse_text.py'), path], { encoding: 'utf8' }), 3);
  const pythonPoints = Number(python.value.stdout.trim());
  rows.push(
    ['Text log parse (streamed, incl. I/O)', `${mb.toFixed(0)} MB, ${lines} lines, ${points} points (${format})`, fmt(ours.ms), `${(mb / (ours.ms / 1000)).toFixed(0)} MB/s, CPU ${fmt((cpu.user + cpu.system) / 3000)}/run`],
    ['  baseline: wc -l', '', fmt(wc.ms), `ours / wc = ${(ours.ms / wc.ms).toFixed(1)}×`],
    ['  baseline: Python regex parser', `${pythonPoints} points, best of 3`, fmt(python.ms), `Python / ours = ${(python.ms / ours.ms).toFixed(1)}×`],
    ['  columnar storage (typed arrays)', `${(bytes / 1024 / 1024).toFixed(0)} MB at capacity`, `${(bytes / points).toFixed(1)} B/point`, 'series of one line shape share x columns'],
  );
  rmSync(path);
}

function benchDetectors(): void {
  const n = 1_000_000;
  const builder = new RunBuilder('bench', 'bench', 0);
  let seed = 1;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (let i = 0; i < n; i++) {
    const acc = 0.5 + 0.45 * (1 - Math.exp(-i / 50_000)) + (rand() - 0.5) * 0.02;
    // A collapse at step 600,000 that lasts 2,000 steps.
    builder.add('accuracy', NaN, i, i >= 600_000 && i < 602_000 ? 0.5 + (rand() - 0.5) * 0.02 : acc, i + 1);
    builder.add('val_accuracy', NaN, i, acc - 0.05, i + 1);
  }
  const run = builder.snapshot([]);
  const detect = time(() => detectCurves(run), 3);
  const values = run.series[0].value;
  const baseline = time(() => {
    let sum = 0;
    for (const s of run.series) for (let i = 0; i < s.length; i++) sum += s.value[i];
    return sum;
  }, 3);
  const sorted = time(() => Float64Array.from(values).sort(), 3);
  rows.push(
    ['Curve detectors (all)', `2 series × ${n.toLocaleString('en')} points`, fmt(detect.ms), `${detect.value.length} finding(s)`],
    ['  baseline: one summing pass', '', fmt(baseline.ms), `detect / pass = ${(detect.ms / baseline.ms).toFixed(0)}×`],
    ['  baseline: sort one series', '', fmt(sorted.ms), `detect / sort = ${(detect.ms / sorted.ms).toFixed(2)}×`],
  );
}

/** Analyses run before the code timings, as an editing session runs them on every (debounced) change. */
const WARM_UP_ANALYSES = 20;

/** Best and median of `repeat` runs, each timed until `fn` returns or, if given, until the time `end` reads then. */
function times(fn: () => unknown, repeat: number, end?: () => bigint): { best: number; median: number } {
  const ms: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    const t1 = end ? end() : process.hrtime.bigint();
    ms.push(Number(t1 - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return { best: ms[0], median: ms[ms.length >> 1] };
}

/** Issue 5's target: a 5,000-line script analysed in under 50 ms after the parser has loaded, parse included. */
async function benchCode(): Promise<void> {
  const { RULES, runRules } = await import('../src/engine/code');
  // A parser that keeps no trees parses every text afresh: the analysis of a script seen for the first time.
  const fresh = await createPythonParser(await readGrammarWasm(), { keptTrees: 0 });
  const parser = await loadPythonParser();
  const seed = readFileSync(join(__dirname, '..', 'test', 'fixtures', 'code', 'seed000_gru_train.py'), 'utf8');
  let text = '';
  while (text.split('\n').length < 5000) text += seed + '\n';
  const lines = text.split('\n').length;
  // The first analysis in a fresh process runs before the JIT has compiled the rules: what opening the first
  // script after activation costs. The target is the steady state of an editor that re-analyses as one types.
  const first = time(() => analyzeCode(fresh, text, 'big.py'), 1);
  for (let i = 0; i < WARM_UP_ANALYSES; i++) analyzeCode(fresh, text, 'big.py');
  // The extension's parser keeps the tree of a script it has analysed; this one frees it after each run. The
  // clock stops when the findings are ready (`withTree`'s function has returned), before the tree is freed.
  let ready = 0n;
  const stopsAtFindings: PythonParser = {
    parse: (t) => fresh.parse(t),
    withTree: (t, fn) => fresh.withTree(t, (tree) => {
      const result = fn(tree);
      ready = process.hrtime.bigint();
      return result;
    }),
  };
  const runs = times(() => analyzeCode(stopsAtFindings, text, 'big.py'), 15, () => ready);
  const withFree = times(() => analyzeCode(fresh, text, 'big.py'), 15);
  const parse = times(() => stopsAtFindings.withTree(text, (t) => t.rootNode.childCount), 15, () => ready);
  // Typing: each run analyses the script with one more character typed in a comment halfway down, its tree
  // parsed from the kept tree of the text before.
  const middle = text.indexOf('\n', text.length >> 1) + 1;
  let typed = `${text.slice(0, middle)}# \n${text.slice(middle)}`;
  analyzeCode(parser, typed, 'big.py');
  const keystroke = times(() => {
    typed = `${typed.slice(0, middle + 1)}x${typed.slice(middle + 1)}`;
    return analyzeCode(parser, typed, 'big.py');
  }, 15);
  // The same text again: the project pass after the single-file pass, the log linker after the rules.
  const again = times(() => analyzeCode(parser, typed, 'big.py'), 15);
  // Each rule's share of full runs (best of 5), caches shared as in analyzeCode: a per-file index is charged to
  // the first rule that asks for it.
  const share = new Map<string, number>();
  const timed = RULES.map((rule) => ({
    ...rule,
    check(ctx: Parameters<typeof rule.check>[0]) {
      const t0 = process.hrtime.bigint();
      const found = rule.check(ctx);
      share.set(rule.id, Math.min(share.get(rule.id) ?? Infinity, Number(process.hrtime.bigint() - t0) / 1e6));
      return found;
    },
  }));
  for (let i = 0; i < 5; i++) runRules(timed, fresh, text, 'big.py');
  const slowest = [...share].sort((a, b) => b[1] - a[1]).slice(0, 3);
  rows.push(
    ['Code rules on a script (parse included)', `${lines} lines, best of 15`, fmt(runs.best), `${first.value.length} finding(s) ready, median ${fmt(runs.median)}; target < 50 ms`],
    ['  baseline: tree-sitter parse alone', 'best of 15', fmt(parse.best), `analyze / parse = ${(runs.best / parse.best).toFixed(2)}×, median ${fmt(parse.median)}`],
    ['  then the tree freed', 'parser keeping no trees', fmt(withFree.best), `median ${fmt(withFree.median)}; the extension keeps the tree`],
    ['  first analysis in this process', 'cold JIT', fmt(first.ms), `then ${WARM_UP_ANALYSES} analyses before the runs above`],
    ['  after a keystroke (kept tree, incremental)', 'best of 15', fmt(keystroke.best), `median ${fmt(keystroke.median)}; full / keystroke = ${(runs.best / keystroke.best).toFixed(2)}×`],
    ['  the same text again (kept tree)', 'best of 15', fmt(again.best), `median ${fmt(again.median)}; full / again = ${(runs.best / again.best).toFixed(2)}×`],
    ['  slowest rules (share of a run)', slowest.map(([id]) => id).join(', '), slowest.map(([, ms]) => fmt(ms)).join(', '), ''],
  );
}

/** The sections, in the order they run; `npm run bench -- code text` runs only those named. */
const SECTIONS: Record<string, () => Promise<void> | void> = {
  keras: benchLogParsing,
  text: benchTextLog,
  detectors: benchDetectors,
  code: benchCode,
  files: async () => (await import('./bench-files')).benchFiles(rows),
  panel: async () => (await import('./bench-panel')).benchPanel(rows),
};

async function main(): Promise<void> {
  console.log(`TrainDx bench — node ${process.version}, ${process.platform}/${process.arch}\n`);
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !(name in SECTIONS));
  if (unknown.length > 0) throw new Error(`unknown bench section(s) ${unknown.join(', ')}; known: ${Object.keys(SECTIONS).join(', ')}`);
  for (const [name, run] of Object.entries(SECTIONS)) if (asked.length === 0 || asked.includes(name)) await run();
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c].length)));
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
  rmSync(dir, { recursive: true, force: true });
}

void main();
