import { strict as assert } from 'node:assert';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { parseMlflowMetrics } from '../../src/engine/logs/mlflow';
import type { Run, Series } from '../../src/engine/types';
import { findFolderRuns, isEventFile, mlflowRunFolderOf, RunFolders, type FolderRun } from '../../src/node/run-folders';
import { ROOT } from './fixtures';
import { DT_FLOAT, eventBytes, eventFile, record, scalarEvents } from './tfevents-writer';

function tempRoot(): string {
  return mkdtempSync(join(tmpdir(), 'traindx-folders-'));
}

function write(path: string, data: string | Uint8Array): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
  return path;
}

function series(run: Run, name: string): Series {
  const s = run.series.find((x) => x.name === name);
  assert.ok(s, `no series ${name} in ${run.series.map((x) => x.name).join(', ')}`);
  return s;
}

const values = (run: Run, name: string) => Array.from(series(run, name).value);
const steps = (run: Run, name: string) => Array.from(series(run, name).step);
const names = (run: Run) => run.series.map((s) => `${s.name}:${s.split}`);

/** What Keras' TensorBoard callback writes: `epoch_*` tensors at step = 0-based epoch, scalars plugin. */
function kerasEvents(tags: Record<string, number[]>) {
  const epochs = Math.max(...Object.values(tags).map((v) => v.length));
  return Array.from({ length: epochs }, (_, i) => ({
    wallTime: 1_700_000_000 + i,
    step: i,
    values: Object.entries(tags).map(([tag, v]) => ({ tag, tensor: { dtype: DT_FLOAT, floatVal: [v[i]] }, plugin: i === 0 ? 'scalars' : undefined })),
  }));
}

describe('TensorBoard log directories', () => {
  it('reads train/ and validation/ subfolders as one run, validation series in the val split', async () => {
    const root = tempRoot();
    const train = write(join(root, 'logs', 'fit', 'train', 'events.out.tfevents.1700000000.host.1.0.v2'), eventFile(kerasEvents({ epoch_loss: [1, 0.5, 0.25], epoch_accuracy: [0.5, 0.75, 0.875] })));
    const validation = write(join(root, 'logs', 'fit', 'validation', 'events.out.tfevents.1700000001.host.1.1.v2'), eventFile(kerasEvents({ epoch_loss: [1.5, 1, 2], epoch_accuracy: [0.25, 0.5, 0.625] })));
    const scan = await findFolderRuns(root);
    assert.deepEqual(scan.notes, []);
    assert.equal(scan.runs.length, 1);
    const [found] = scan.runs;
    assert.equal(found.source, join(root, 'logs', 'fit'));
    assert.equal(found.format, 'tfevents');
    assert.deepEqual(found.files, [train, validation]);
    assert.deepEqual([...scan.files], [train, validation]);
    assert.deepEqual(names(found.run), ['loss:train', 'accuracy:train', 'val_loss:val', 'val_accuracy:val']);
    assert.deepEqual(values(found.run, 'val_loss'), [1.5, 1, 2]);
    assert.deepEqual(Array.from(series(found.run, 'val_loss').epoch), [1, 2, 3]);
    assert.equal(found.run.source, found.source);
    assert.deepEqual(found.run.notes, []);
  });

  it('treats val/ and eval/ as validation folders too', async () => {
    for (const folder of ['val', 'eval']) {
      const root = tempRoot();
      write(join(root, 'train', 'events.out.tfevents.1.h'), eventFile(scalarEvents({ loss: [1, 0.5] })));
      write(join(root, folder, 'events.out.tfevents.1.h'), eventFile(scalarEvents({ loss: [2, 1.5] })));
      const [found] = (await findFolderRuns(root)).runs;
      assert.equal(found.source, root);
      assert.deepEqual(names(found.run), ['loss:train', 'val_loss:val']);
      assert.deepEqual(values(found.run, 'val_loss'), [2, 1.5]);
    }
  });

  it('concatenates the event files of a restarted writer in timestamp order', async () => {
    const root = tempRoot();
    // 999999999 sorts after 1000000000 as text; the timestamps say it came first.
    write(join(root, 'run', 'events.out.tfevents.1000000000.host.2.0'), eventFile(scalarEvents({ loss: [0.25, 0.125] }, 3)));
    write(join(root, 'run', 'events.out.tfevents.999999999.host.1.0'), eventFile(scalarEvents({ loss: [1, 0.5, 0.375] }, 0)));
    const [found] = (await findFolderRuns(root)).runs;
    assert.deepEqual(steps(found.run, 'loss'), [0, 1, 2, 3, 4]);
    assert.deepEqual(values(found.run, 'loss'), [1, 0.5, 0.375, 0.25, 0.125]);
    assert.deepEqual(found.files.map((f) => f.slice(root.length + 1)), [
      join('run', 'events.out.tfevents.1000000000.host.2.0'),
      join('run', 'events.out.tfevents.999999999.host.1.0'),
    ]);
  });

  it('keeps a lone train/ folder (ultralytics `runs/detect/train`) as a run of its own', async () => {
    const root = tempRoot();
    const corpus = join(ROOT, 'test', 'fixtures', 'corpus', 'yolo11seg_gallstone_events.out.tfevents.1731030770.luaay.15908.0');
    mkdirSync(join(root, 'runs', 'segment', 'train'), { recursive: true });
    copyFileSync(corpus, join(root, 'runs', 'segment', 'train', 'events.out.tfevents.1731030770.luaay.15908.0'));
    write(join(root, 'runs', 'segment', 'train2', 'events.out.tfevents.1731040000.luaay.1.0'), eventFile(scalarEvents({ 'train/box_loss': [2, 1] })));
    write(join(root, 'runs', 'segment', 'val', 'predictions.json'), '[]');
    const scan = await findFolderRuns(root);
    assert.deepEqual(scan.runs.map((r) => r.source), [join(root, 'runs', 'segment', 'train'), join(root, 'runs', 'segment', 'train2')]);
    assert.equal(scan.runs[0].run.series.length, 19);
    assert.deepEqual(values(scan.runs[1].run, 'box_loss'), [2, 1]);
  });

  it('says which file is damaged, and skips excluded folders', async () => {
    const root = tempRoot();
    const bytes = eventFile(scalarEvents({ loss: [1, 0.5, 0.25] }));
    write(join(root, 'tb', 'train', 'events.out.tfevents.1.h'), bytes.subarray(0, bytes.length - 3));
    write(join(root, 'tb', 'validation', 'events.out.tfevents.1.h'), eventFile(scalarEvents({ loss: [2] })));
    write(join(root, 'node_modules', 'pkg', 'events.out.tfevents.1.h'), bytes);
    const scan = await findFolderRuns(root);
    assert.deepEqual(scan.runs.map((r) => r.source), [join(root, 'tb')]);
    const lastRecord = record(eventBytes({ wallTime: 1_700_000_002, step: 2, values: [{ tag: 'loss', simple: 0.25 }] })).length;
    assert.deepEqual(scan.runs[0].run.notes, [`train/events.out.tfevents.1.h: the last record is cut short at byte ${bytes.length - lastRecord} (${lastRecord - 3} bytes of it present); 3 records read`]);
    assert.deepEqual(values(scan.runs[0].run, 'loss'), [1, 0.5]);
  });

  it('reads only what changed on a second scan, and refreshes the run a changed file belongs to', async () => {
    const root = tempRoot();
    const bytes = eventFile(scalarEvents({ loss: [1, 0.5, 0.25, 0.125] }));
    const half = bytes.length - 2 * record(eventBytes({ wallTime: 1_700_000_003, step: 3, values: [{ tag: 'loss', simple: 0.125 }] })).length;
    const train = write(join(root, 'tb', 'train', 'events.out.tfevents.1.h'), bytes.subarray(0, half + 5));
    const val = write(join(root, 'tb', 'validation', 'events.out.tfevents.1.h'), eventFile(scalarEvents({ loss: [3] })));
    const folders = new RunFolders();
    const first = await folders.scan(root);
    assert.deepEqual(values(first.runs[0].run, 'loss'), [1, 0.5]);
    assert.deepEqual(first.runs[0].run.notes, []); // live: the cut record waits
    appendFileSync(train, bytes.subarray(half + 5, bytes.length - 10));
    const refreshed = await folders.refresh(train);
    assert.equal(refreshed?.source, join(root, 'tb'));
    assert.deepEqual(values(refreshed.run, 'loss'), [1, 0.5, 0.25]);
    assert.deepEqual(values(refreshed.run, 'val_loss'), [3]);
    appendFileSync(train, bytes.subarray(bytes.length - 10));
    assert.deepEqual(values((await folders.refresh(val))!.run, 'loss'), [1, 0.5, 0.25, 0.125]);
    assert.equal(await folders.refresh(join(root, 'tb', 'train', 'notes.txt')), undefined);
  });
});

describe('deleted files', () => {
  it('re-reads a run whose files were deleted, down to a run with no series', async () => {
    const root = tempRoot();
    const first = write(join(root, 'run', 'events.out.tfevents.100.h'), eventFile(scalarEvents({ loss: [1, 0.5] })));
    const second = write(join(root, 'run', 'events.out.tfevents.200.h'), eventFile(scalarEvents({ loss: [0.25] }, 2)));
    const folders = new RunFolders();
    assert.deepEqual(values((await folders.scan(root)).runs[0].run, 'loss'), [1, 0.5, 0.25]);
    rmSync(first);
    const after = await folders.refresh(first);
    assert.deepEqual([after?.source, after?.files], [join(root, 'run'), [second]]);
    assert.deepEqual(values(after!.run, 'loss'), [0.25]);
    rmSync(second);
    const emptied = await folders.refresh(second);
    assert.deepEqual([emptied?.source, emptied?.files, emptied?.run.series, emptied?.run.notes], [join(root, 'run'), [], [], []]);
    assert.deepEqual((await folders.scan(root)).runs, []);
  });

  it('empties an MLflow run once it is marked deleted', async () => {
    const root = tempRoot();
    const run = join(root, 'mlruns', '0', 'abc');
    const loss = write(join(run, 'metrics', 'loss'), '1700000000000 1 0\n');
    write(join(run, 'meta.yaml'), 'lifecycle_stage: active\n');
    const folders = new RunFolders();
    assert.equal((await folders.scan(root)).runs.length, 1);
    write(join(run, 'meta.yaml'), 'lifecycle_stage: deleted\n');
    const refreshed = await folders.refresh(loss);
    assert.deepEqual([refreshed?.source, refreshed?.run.series], [run, []]);
  });
});

describe('MLflow file store', () => {
  it('parses metric files into one run: ms timestamps, steps, nan, malformed lines noted', () => {
    const run = parseMlflowMetrics('mlruns/0/abc', {
      loss: '1700000000000 0.9 0\n1700000001500 0.5 1\n1700000003000 nan 2\n',
      val_acc: '1700000000000 0.5 0\nnot a line\n1700000001500 0.75 1\n1700000003000 0.8\n',
      'train/lr': '1700000000000 1e-3 0\n1700000001500 -inf 1\n1700000003000 0.0005 2', // last line still being written
    });
    assert.equal(run.format, 'mlflow');
    assert.equal(run.source, 'mlruns/0/abc');
    assert.deepEqual(names(run), ['loss:train', 'lr:train', 'val_accuracy:val']);
    assert.deepEqual(values(run, 'loss'), [0.9, 0.5, NaN]);
    assert.deepEqual(steps(run, 'loss'), [0, 1, 2]);
    assert.deepEqual(Array.from(series(run, 'loss').wallTime), [1_700_000_000, 1_700_000_001.5, 1_700_000_003]);
    assert.deepEqual(values(run, 'lr'), [0.001, -Infinity]);
    // The two-field line is the pre-1.0 format (step 0); the malformed line is its file's line 2.
    assert.deepEqual(values(run, 'val_accuracy'), [0.5, 0.75, 0.8]);
    assert.deepEqual(Array.from(series(run, 'val_accuracy').line), [1, 3, 4]);
    assert.deepEqual(run.notes, ['metrics/val_acc: skipped 1 malformed line (first at line 2)']);
    const final = parseMlflowMetrics('r', { 'train/lr': '1700000000000 1e-3 0\n1700000003000 0.0005 2' }, { final: true });
    assert.deepEqual(values(final, 'lr'), [0.001, 0.0005]);
  });

  it('finds every run of a store, named by mlflow.runName, skipping deleted runs and .trash', async () => {
    const root = tempRoot();
    const store = join(root, 'project', 'mlruns');
    const a = join(store, '1', 'aaa111');
    const b = join(store, '1', 'bbb222');
    write(join(a, 'meta.yaml'), 'artifact_uri: file:///x\nlifecycle_stage: active\nrun_id: aaa111\n');
    const aLoss = write(join(a, 'metrics', 'loss'), '1700000000000 0.9 0\n1700000060000 0.6 1\n');
    const aVal = write(join(a, 'metrics', 'val_loss'), '1700000000000 1.1 0\n1700000060000 0.8 1\n');
    const aNested = write(join(a, 'metrics', 'eval', 'accuracy'), '1700000000000 0.5 0\n');
    write(join(a, 'params', 'lr'), '0.001');
    write(join(a, 'tags', 'mlflow.runName'), 'bright-owl-42');
    const bLoss = write(join(b, 'metrics', 'loss'), '1700000100000 2.5 0\n1700000200000 2.4 10\n1700000300000 2.6 20\n');
    write(join(store, '1', 'ccc333', 'meta.yaml'), 'lifecycle_stage: deleted\n');
    write(join(store, '1', 'ccc333', 'metrics', 'loss'), '1700000000000 1 0\n');
    write(join(store, '.trash', '7', 'ddd444', 'metrics', 'loss'), '1700000000000 1 0\n');
    write(join(store, '.trash', '7', 'ddd444', 'meta.yaml'), 'lifecycle_stage: active\n');
    write(join(store, '1', 'meta.yaml'), 'name: exp\n');

    const scan = await findFolderRuns(root);
    assert.deepEqual(scan.notes, []);
    assert.deepEqual(scan.runs.map((r: FolderRun) => [r.source, r.format, r.name]), [[a, 'mlflow', 'bright-owl-42'], [b, 'mlflow', undefined]]);
    assert.deepEqual(scan.runs[0].files, [aNested, aLoss, aVal]);
    assert.deepEqual(names(scan.runs[0].run), ['val_accuracy:val', 'loss:train', 'val_loss:val']);
    assert.deepEqual(values(scan.runs[0].run, 'val_loss'), [1.1, 0.8]);
    assert.deepEqual(Array.from(series(scan.runs[0].run, 'loss').wallTime), [1_700_000_000, 1_700_000_060]);
    assert.deepEqual(steps(scan.runs[1].run, 'loss'), [0, 10, 20]);

    // Live: a changed metric file refreshes its run; a store given as the run folder itself is found too.
    const folders = new RunFolders();
    await folders.scan(a);
    appendFileSync(aLoss, '1700000120000 0.4 2\n');
    const refreshed = await folders.refresh(aLoss);
    assert.deepEqual(values(refreshed!.run, 'loss'), [0.9, 0.6, 0.4]);
    assert.deepEqual((await folders.scan(b)).runs.map((r) => r.source), [b]);
    assert.deepEqual(values((await folders.refresh(bLoss))!.run, 'loss'), [2.5, 2.4, 2.6]);
  });

  it('recognises the files that belong to folder runs by their paths', () => {
    assert.equal(isEventFile(join('a', 'events.out.tfevents.1700000000.host.1.0')), true);
    assert.equal(isEventFile(join('a', 'train.log')), false);
    assert.equal(mlflowRunFolderOf(join('x', 'mlruns', '0', 'abc', 'metrics', 'loss')), join('x', 'mlruns', '0', 'abc'));
    assert.equal(mlflowRunFolderOf(join('x', 'mlruns', '0', 'abc', 'metrics', 'train', 'loss')), join('x', 'mlruns', '0', 'abc'));
    assert.equal(mlflowRunFolderOf(join('x', 'runs', '0', 'abc', 'metrics', 'loss')), undefined);
    assert.equal(mlflowRunFolderOf(join('x', 'mlruns', '0', 'abc', 'params', 'lr')), undefined);
  });
});
