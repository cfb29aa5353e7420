// `npm run eval`: precision, recall and onset error of every curve detector on labelled synthetic runs
// (and runs built from real logs' numbers), plus a format round trip and a speed check. A measurement, not
// a test: the exit code is always 0; detectors under target are flagged in the output.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { detectCurves } from '../../src/engine/curves';
import { parseLog } from '../../src/engine/logs';
import type { CurveFinding, Run } from '../../src/engine/types';
import type { EvalCase } from './case';
import { FAMILIES } from './cases';
import { REAL_CASES, realRun } from './real';
import { renderKeras } from './render';
import { seeded } from './synth';

const TARGET = 0.95;
/** The repository root, from the bundle in out/ or out/<name>/ (where package.json is). */
const ROOT = findRoot(__dirname);

function findRoot(dir: string): string {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) return process.cwd();
  }
}
const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const PER_GENERATOR = Number(option('--n') ?? 50);
const ONLY = option('--family');
const SHOW = Number(option('--show') ?? 12);
/** `--seed S` draws a different set of cases (the default set has none), to check nothing was tuned to one draw. */
const SEED = option('--seed');

if (args.includes('--help')) {
  console.log(
    'usage: eval [--n CASES_PER_GENERATOR (50)] [--family ID] [--seed S] [--show N (12)] [--no-bench]\n' +
      '  --seed S   a different draw of every case (default: the standard draw)\n' +
      '  --show N   how many problems of each kind to list (healthy controls with a finding are always all listed)',
  );
  process.exit(0);
}

/** A stable seed per (family, generator, case): adding a family never changes another's cases. */
function seedOf(family: string, generator: number, index: number): number {
  let h = 2166136261;
  for (const c of `${family}#${generator}#${index}${SEED === undefined ? '' : `#${SEED}`}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

/** Where a finding starts, on the same x scale as the case's labels. */
function findingX(f: CurveFinding): number | undefined {
  return f.epoch ?? f.step ?? undefined;
}

interface Tally {
  cases: number;
  tp: number;
  fp: number;
  fn: number;
  onsetErrors: number[];
}

const tallies = new Map<string, Tally>();
const tally = (id: string): Tally => {
  let t = tallies.get(id);
  if (!t) tallies.set(id, (t = { cases: 0, tp: 0, fp: 0, fn: 0, onsetErrors: [] }));
  return t;
};

interface Problem {
  kind: 'miss' | 'false alarm' | 'late/early';
  id: string;
  family: string;
  name: string;
  detail: string;
  weight: number;
}
const problems: Problem[] = [];
let healthyRuns = 0;
let healthyWithFinding = 0;
const healthyFindingIds = new Map<string, number>();
const healthyExamples: string[] = [];
let totalCases = 0;
let detectMs = 0;
let roundTrips = 0;
let roundTripMismatch = 0;
let roundTripMessageDiffs = 0;
const roundTripExamples: string[] = [];
const crashes: string[] = [];

function timeDetect(run: Run): CurveFinding[] {
  const t0 = process.hrtime.bigint();
  const findings = detectCurves(run);
  detectMs += Number(process.hrtime.bigint() - t0) / 1e6;
  return findings;
}

function score(familyId: string, c: EvalCase, findings: CurveFinding[]): void {
  const unused = [...findings];
  for (const e of c.expect) {
    const t = tally(e.id);
    t.cases++;
    // The finding of this id whose onset is closest to the label.
    let best = -1;
    let bestError = Infinity;
    unused.forEach((f, i) => {
      if (f.id !== e.id) return;
      const x = findingX(f);
      const error = e.onset === undefined || x === undefined ? 0 : Math.abs(x - e.onset);
      if (error < bestError) {
        best = i;
        bestError = error;
      }
    });
    if (best < 0) {
      t.fn++;
      const others = findings.map((f) => f.id).join(', ') || 'nothing';
      problems.push({ kind: 'miss', id: e.id, family: familyId, name: c.name, detail: `expected ${e.id}${e.onset !== undefined ? ` at ${e.onset}` : ''}; found ${others}`, weight: 1 });
      continue;
    }
    const f = unused.splice(best, 1)[0];
    if (e.onset !== undefined && e.tolerance !== undefined && bestError > e.tolerance) {
      t.fn++;
      problems.push({ kind: 'late/early', id: e.id, family: familyId, name: c.name, detail: `expected onset ${e.onset} ± ${e.tolerance}, reported ${findingX(f)}: ${f.message}`, weight: bestError });
      continue;
    }
    t.tp++;
    if (e.onset !== undefined) t.onsetErrors.push(bestError);
  }
  const allowed = new Set(c.allow ?? []);
  for (const f of unused) {
    if (allowed.has(f.id)) continue;
    tally(f.id).fp++;
    problems.push({ kind: 'false alarm', id: f.id, family: familyId, name: c.name, detail: `${f.severity} at ${findingX(f) ?? '?'}: ${f.message}`, weight: 1 });
  }
  // A healthy control expects nothing and allows nothing; a negative control with an allow list is scored
  // through false alarms only.
  if (c.expect.length === 0 && (c.allow ?? []).length === 0) {
    healthyRuns++;
    if (findings.length > 0) {
      healthyWithFinding++;
      healthyExamples.push(`${familyId}/${c.name}: ${findings.map((f) => `[${f.id}] ${f.message}`).join(' | ')}`);
    }
    for (const f of findings) healthyFindingIds.set(f.id, (healthyFindingIds.get(f.id) ?? 0) + 1);
  }
}

/** The same run through Keras text and the parser must give the same findings (lines aside). */
function roundTrip(c: EvalCase, findings: CurveFinding[]): void {
  const text = renderKeras(c.run);
  if (text === undefined) return;
  const parsed = parseLog(text, 'roundtrip.log');
  if (!parsed.ok || parsed.runs.length !== 1) return;
  roundTrips++;
  const again = detectCurves(parsed.runs[0]);
  const key = (f: CurveFinding) => `${f.id}|${f.metric}|${f.epoch}|${f.severity}`;
  const a = findings.map(key).sort().join('\n');
  const b = again.map(key).sort().join('\n');
  if (a !== b) {
    roundTripMismatch++;
    if (roundTripExamples.length < 5) roundTripExamples.push(`${c.name}: direct [${findings.map(key).join('; ')}] vs Keras text [${again.map(key).join('; ')}]`);
  } else if (findings.map((f) => f.message).sort().join('\n') !== again.map((f) => f.message).sort().join('\n')) {
    roundTripMessageDiffs++;
  }
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const pct = (x: number) => (Number.isNaN(x) ? '   -  ' : `${(100 * x).toFixed(1).padStart(5)}%`);
const num = (x: number) => (Number.isNaN(x) ? '-' : Number.isInteger(x) ? String(x) : x.toFixed(1));

function benchMillion(): { lossOnly: Timed; all: Timed; n: number; points: number } {
  const random = seeded(7);
  const n = 1_000_000;
  const mk = () => ({ epoch: new Float64Array(n), step: new Float64Array(n), wallTime: new Float64Array(n).fill(NaN), value: new Float64Array(n), line: new Uint32Array(n), length: n });
  const loss = mk();
  const acc = mk();
  const lr = mk();
  for (let i = 0; i < n; i++) {
    for (const s of [loss, acc, lr]) {
      s.step[i] = i + 1;
      s.epoch[i] = (i + 1) / 1000;
      s.line[i] = i + 2;
    }
    const clean = 0.2 + 2 * Math.exp(-i / 100_000);
    loss.value[i] = clean * (1 + 0.08 * (random() - 0.5));
    acc.value[i] = Math.min(1, 0.95 - 0.85 * Math.exp(-i / 100_000) + 0.03 * (random() - 0.5));
    lr.value[i] = 1e-3 * (i < 500_000 ? 1 : 0.1);
  }
  const nv = 1000;
  const vl = { epoch: new Float64Array(nv), step: new Float64Array(nv), wallTime: new Float64Array(nv).fill(NaN), value: new Float64Array(nv), line: new Uint32Array(nv), length: nv };
  for (let i = 0; i < nv; i++) {
    vl.step[i] = (i + 1) * 1000;
    vl.epoch[i] = i + 1;
    vl.line[i] = (i + 1) * 1000 + 2;
    vl.value[i] = 0.3 + 2 * Math.exp(-(i * 1000) / 100_000) + 0.01 * (random() - 0.5);
  }
  const run: Run = {
    source: 'million.log',
    format: 'synthetic',
    segment: 0,
    notes: [],
    series: [
      { name: 'loss', metric: 'loss', split: 'train', ...loss },
      { name: 'accuracy', metric: 'accuracy', split: 'train', ...acc },
      { name: 'lr', metric: 'lr', split: 'train', ...lr },
      { name: 'val_loss', metric: 'loss', split: 'val', ...vl },
    ],
  };
  return { lossOnly: timeCold({ ...run, series: run.series.slice(0, 1) }), all: timeCold(run), n, points: 3 * n + nv };
}

interface Timed {
  ms: number;
  findings: number;
}

/** Best of 3 over fresh copies of the values, so nothing computed in an earlier pass is reused. */
function timeCold(run: Run): Timed {
  let best = Infinity;
  let findings = 0;
  for (let k = 0; k < 3; k++) {
    const fresh: Run = { ...run, series: run.series.map((s) => ({ ...s, value: s.value.slice() })) };
    const t0 = process.hrtime.bigint();
    findings = detectCurves(fresh).length;
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { ms: best, findings };
}

function main(): void {
  const families = FAMILIES.filter((f) => !ONLY || f.id === ONLY);
  const started = Date.now();
  for (const family of families) {
    family.generators.forEach((generator, g) => {
      for (let k = 0; k < PER_GENERATOR; k++) {
        // A generator or detector that throws is reported, not fatal: the harness is a measurement.
        try {
          const c = generator(seeded(seedOf(family.id, g, k)), k);
          totalCases++;
          const findings = timeDetect(c.run);
          score(family.id, c, findings);
          if (k % 5 === 0) roundTrip(c, findings);
        } catch (error) {
          crashes.push(`${family.id} generator ${g} case ${k}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        }
      }
    });
  }
  console.log(`TrainDx eval — ${totalCases} runs from ${families.length} families × ${PER_GENERATOR} per generator${SEED === undefined ? '' : `, seed ${SEED}`} (${((Date.now() - started) / 1000).toFixed(1)} s; detectors ${detectMs.toFixed(0)} ms in all)\n`);

  const header = ['detector', 'cases', 'TP', 'FP', 'FN', 'precision', 'recall', 'onset med', 'onset max', ''];
  const rows: string[][] = [];
  let under = 0;
  for (const [id, t] of [...tallies.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    const precision = t.tp + t.fp === 0 ? NaN : t.tp / (t.tp + t.fp);
    const recall = t.tp + t.fn === 0 ? NaN : t.tp / (t.tp + t.fn);
    const errors = [...t.onsetErrors].sort((a, b) => a - b);
    const flag = precision < TARGET || recall < TARGET ? `<-- UNDER ${TARGET * 100}% TARGET` : '';
    if (flag) under++;
    rows.push([id, String(t.cases), String(t.tp), String(t.fp), String(t.fn), pct(precision), pct(recall), num(quantile(errors, 0.5)), num(errors[errors.length - 1] ?? NaN), flag]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));

  const healthyBreakdown = [...healthyFindingIds.entries()].map(([id, n]) => `${id} ×${n}`).join(', ');
  console.log(`\nhealthy controls: ${healthyRuns} runs, ${healthyWithFinding} with any finding${healthyWithFinding > 0 ? ` (${healthyBreakdown})  <-- MUST BE 0` : ''}`);
  for (const e of healthyExamples) console.log(`  ${e}`);
  console.log(`format round trip (Keras verbose 2 text → parser → detectors, every 5th case): ${roundTrips} runs, ${roundTripMismatch} with different findings, ${roundTripMessageDiffs} with the same findings but different message numbers (4-decimal rounding)`);
  for (const e of roundTripExamples) console.log(`  ${e}`);
  if (crashes.length > 0) {
    console.log(`\n${crashes.length} case(s) THREW (first 3 below)`);
    for (const c of crashes.slice(0, 3)) console.log(`  ${c.split('\n').slice(0, 4).join('\n  ')}`);
  }
  console.log(under === 0 ? `\nall detectors at or above ${TARGET * 100}% precision and recall` : `\n${under} detector(s) UNDER the ${TARGET * 100}% target`);

  console.log('\nreal logs (test/fixtures/curves/):');
  let realBad = 0;
  for (const c of REAL_CASES) {
    const findings = detectCurves(realRun(ROOT, c));
    const ids = findings.map((f) => f.id);
    const missing = c.expect.filter((id) => !ids.includes(id));
    const extra = findings.filter((f) => !c.expect.includes(f.id) && !(c.allow ?? []).includes(f.id));
    const ok = missing.length === 0 && extra.length === 0;
    if (!ok) realBad++;
    console.log(`  ${ok ? 'ok  ' : 'BAD '} ${c.file} (${c.note}): ${findings.length === 0 ? 'no findings' : findings.map((f) => `${f.id} [${f.severity}] ${f.message}`).join(' | ')}`);
  }
  console.log(`  ${REAL_CASES.length - realBad}/${REAL_CASES.length} as a careful engineer reads them`);

  if (problems.length > 0 && SHOW > 0) {
    console.log(`\nworst problems (${problems.length} in all; --show N for more):`);
    const sorted = [...problems].sort((a, b) => a.kind.localeCompare(b.kind) || b.weight - a.weight);
    const byKind = new Map<string, Problem[]>();
    for (const p of sorted) byKind.set(p.kind, [...(byKind.get(p.kind) ?? []), p]);
    for (const [kind, list] of byKind) {
      console.log(`  ${kind} (${list.length}):`);
      for (const p of list.slice(0, SHOW)) console.log(`    [${p.id}] ${p.family}/${p.name}: ${p.detail}`);
    }
  }

  if (!args.includes('--no-bench')) {
    const b = benchMillion();
    console.log(
      `\nspeed (all detectors, best of 3, cold): a run of one ${b.n.toLocaleString('en')}-point loss: ${b.lossOnly.ms.toFixed(0)} ms ` +
        `(target < 200 ms); loss + accuracy + lr at ${b.n.toLocaleString('en')} steps each plus 1,000 validation-loss points ` +
        `(${b.points.toLocaleString('en')} points): ${b.all.ms.toFixed(0)} ms`,
    );
  }
}

main();
