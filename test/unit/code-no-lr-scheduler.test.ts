/**
 * `no-lr-scheduler`: raised only through `analyzeEvidence`, when the linked log shows a plateau or an
 * oscillation. The evidence is what the detectors find in real-shaped fixture logs, never hand-written findings.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { analyzeLogText } from '../../src/engine/analyze-log';
import { analyzeEvidence, EVIDENCE_RULES } from '../../src/engine/code/evidence';
import { analyzeCode, RULES } from '../../src/engine/code/index';
import { evidenceClause } from '../../src/engine/code/no-lr-scheduler';
import { syntaxProblems, type PythonParser } from '../../src/engine/code/python';
import type { LoggedRun } from '../../src/engine/link/link';
import { applyEdits, LineIndex } from '../../src/engine/text';
import type { CodeFinding, CurveFinding } from '../../src/engine/types';
import { loadPythonParser } from '../../src/node/grammar';
import { assertPythonParses, crlf, py } from './code-rule-table';
import { tabs } from './code-rule-tables';
import { fixture, ROOT } from './fixtures';

const RULE = 'no-lr-scheduler';

/** The curve findings the detectors report for a fixture log, as the log linked to `train.py`. */
function linkedLog(path: string, only?: string): LoggedRun {
  const analysis = analyzeLogText(fixture(path), path);
  assert.ok(analysis.ok, `${path} must parse`);
  const findings = analysis.runs.flatMap((r) => r.findings).filter((f) => only === undefined || f.id === only);
  return { file: 'train.log', findings };
}

const PLATEAU = linkedLog('evidence/plateau-torch/train.log');
const OSCILLATION = linkedLog('evidence/oscillation-torch/train.log');
const OVERFITTING_ONLY = linkedLog('evidence/overfit-keras/train.log', 'overfitting');

function finding(log: LoggedRun, id: string): CurveFinding {
  const found = log.findings.find((f) => f.id === id);
  assert.ok(found, `the fixture log shows ${id}`);
  return found;
}

const plateauClause = (): string => evidenceClause(finding(PLATEAU, 'plateau').message);
const oscillationClause = (): string => evidenceClause(finding(OSCILLATION, 'oscillation').message);
const TORCH_PLATEAU_ADVICE = 'Lowering the learning rate when progress stalls usually gets more out of the run.';
const OSCILLATION_ADVICE = 'Decaying the learning rate over the run damps swings like these.';
const torchMessage = (name: string, ctor: string, clause: string, advice: string): string =>
  `\`${name}\` (\`${ctor}\`) keeps one learning rate for the whole run (no scheduler in this script), and the linked log ` +
  `\`train.log\` shows ${clause}. ${advice}`;
const kerasMessage = (clause: string): string =>
  '`model.fit(...)` keeps one learning rate for the whole run (no `ReduceLROnPlateau` or `LearningRateScheduler` callback, ' +
  `no schedule in the optimizer), and the linked log \`train.log\` shows ${clause}. ${TORCH_PLATEAU_ADVICE}`;

let parser: PythonParser;
before(async () => {
  parser = await loadPythonParser();
});

function found(text: string, log: LoggedRun, options = {}): CodeFinding[] {
  return analyzeEvidence(parser, { file: 'train.py', text }, log, options).filter((f) => f.id === RULE);
}

// ---------------------------------------------------------------------------------------------------------------
// Sources

const TORCH_LOOP = py(
  'import torch',
  'from torch import nn',
  '',
  'model = nn.Linear(10, 1)',
  'optimizer = torch.optim.SGD(model.parameters(), lr=0.1)',
  'for epoch in range(20):',
  '    for x, y in train_loader:',
  '        optimizer.zero_grad()',
  '        loss = nn.functional.mse_loss(model(x), y)',
  '        loss.backward()',
  '        optimizer.step()',
  '    val_loss = evaluate(model, val_loader)',
  '    print(epoch, val_loss)',
);
const TORCH_LOOP_PLATEAU_FIXED = py(
  'import torch',
  'from torch import nn',
  '',
  'model = nn.Linear(10, 1)',
  'optimizer = torch.optim.SGD(model.parameters(), lr=0.1)',
  'scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=5)',
  'for epoch in range(20):',
  '    for x, y in train_loader:',
  '        optimizer.zero_grad()',
  '        loss = nn.functional.mse_loss(model(x), y)',
  '        loss.backward()',
  '        optimizer.step()',
  '    val_loss = evaluate(model, val_loader)',
  '    print(epoch, val_loss)',
  '    scheduler.step(val_loss)',
);
const TORCH_LOOP_OSCILLATION_FIXED = py(
  'import torch',
  'from torch import nn',
  '',
  'model = nn.Linear(10, 1)',
  'optimizer = torch.optim.SGD(model.parameters(), lr=0.1)',
  'scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=20)',
  'for epoch in range(20):',
  '    for x, y in train_loader:',
  '        optimizer.zero_grad()',
  '        loss = nn.functional.mse_loss(model(x), y)',
  '        loss.backward()',
  '        optimizer.step()',
  '    val_loss = evaluate(model, val_loader)',
  '    print(epoch, val_loss)',
  '    scheduler.step()',
);

/** The epoch loop calls the function that holds the batch loop; the validation loss comes out of a tuple. */
const CALLED_EPOCH = py(
  'import torch.nn as nn',
  'import torch.optim as optim',
  '',
  'def train(net, loader, opt):',
  '    for x, y in loader:',
  '        opt.zero_grad()',
  '        nn.functional.cross_entropy(net(x), y).backward()',
  '        opt.step()',
  '',
  'def main(epochs):',
  '    net = nn.Linear(4, 2)',
  '    opt = optim.AdamW(net.parameters(), lr=3e-4)  # fixed rate',
  '    best = None',
  '    for epoch in range(1, epochs + 1):',
  '        train(net, train_loader, opt)',
  '        val_loss, val_acc = validate(net, val_loader)',
  '        if best is None or val_loss < best:',
  '            best = val_loss',
);
const CALLED_EPOCH_PLATEAU_FIXED = py(
  'import torch.nn as nn',
  'import torch.optim as optim',
  '',
  'def train(net, loader, opt):',
  '    for x, y in loader:',
  '        opt.zero_grad()',
  '        nn.functional.cross_entropy(net(x), y).backward()',
  '        opt.step()',
  '',
  'def main(epochs):',
  '    net = nn.Linear(4, 2)',
  '    opt = optim.AdamW(net.parameters(), lr=3e-4)  # fixed rate',
  '    scheduler = optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=5)',
  '    best = None',
  '    for epoch in range(1, epochs + 1):',
  '        train(net, train_loader, opt)',
  '        val_loss, val_acc = validate(net, val_loader)',
  '        if best is None or val_loss < best:',
  '            best = val_loss',
  '        scheduler.step(val_loss)',
);
const CALLED_EPOCH_OSCILLATION_FIXED = CALLED_EPOCH_PLATEAU_FIXED
  .replace('optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=5)', 'optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)')
  .replace('scheduler.step(val_loss)', 'scheduler.step()');

/** No variable holds the validation loss: the scheduler would have nothing to step on. */
const NO_VAL_VARIABLE = py(
  'import torch',
  'model = torch.nn.Linear(2, 2)',
  'optimizer = torch.optim.Adam(model.parameters())',
  'for epoch in range(10):',
  '    for batch in loader:',
  '        optimizer.zero_grad()',
  '        model(batch).sum().backward()',
  '        optimizer.step()',
  '    report(evaluate(model))',
);

/** The file cannot name a scheduler class (no `torch`/`torch.optim` binding to spell it with). */
const NO_SPELLING = py(
  'from torch.optim import SGD',
  'from torch import nn',
  'model = nn.Linear(2, 2)',
  'optimizer = SGD(model.parameters(), lr=0.1)',
  'for epoch in range(10):',
  '    for x, y in loader:',
  '        optimizer.zero_grad()',
  '        (model(x) - y).pow(2).mean().backward()',
  '        optimizer.step()',
  '    val_loss = evaluate(model)',
);

/** The last statement of the epoch loop ends the file without a line break. */
const NO_FINAL_NEWLINE = 'import torch\nm = torch.nn.Linear(1, 1)\nopt = torch.optim.SGD(m.parameters(), lr=1.0)\nfor epoch in range(5):\n    for x in data:\n        opt.zero_grad()\n        m(x).sum().backward()\n        opt.step()\n    val_loss = check(m)';
const NO_FINAL_NEWLINE_FIXED = 'import torch\nm = torch.nn.Linear(1, 1)\nopt = torch.optim.SGD(m.parameters(), lr=1.0)\nscheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=5)\nfor epoch in range(5):\n    for x in data:\n        opt.zero_grad()\n        m(x).sum().backward()\n        opt.step()\n    val_loss = check(m)\n    scheduler.step(val_loss)';

/** The validation loss summed in a `with torch.no_grad():` block and averaged after it; `tqdm(range(...))`. */
const SUMMED_VAL = py(
  'import torch',
  'from tqdm import tqdm',
  'model = torch.nn.Linear(3, 1)',
  'optimizer = torch.optim.SGD(model.parameters(), lr=0.01)',
  'for epoch in tqdm(range(EPOCHS)):',
  '    model.train()',
  '    for x, y in train_loader:',
  '        optimizer.zero_grad()',
  '        torch.nn.functional.mse_loss(model(x), y).backward()',
  '        optimizer.step()',
  '    model.eval()',
  '    val_loss = 0.0',
  '    with torch.no_grad():',
  '        for x, y in val_loader:',
  '            val_loss += torch.nn.functional.mse_loss(model(x), y).item()',
  '    val_loss /= len(val_loader)',
);
const SUMMED_VAL_PLATEAU_FIXED = SUMMED_VAL
  .replace('lr=0.01)\n', 'lr=0.01)\nscheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=5)\n')
  .replace('len(val_loader)\n', 'len(val_loader)\n    scheduler.step(val_loss)\n');
const SUMMED_VAL_OSCILLATION_FIXED = SUMMED_VAL
  .replace('lr=0.01)\n', 'lr=0.01)\nscheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS)\n')
  .replace('len(val_loader)\n', 'len(val_loader)\n    scheduler.step()\n');

const KERAS_EMPTY_CALLBACKS = py(
  'from tensorflow import keras',
  'model = keras.Sequential([keras.layers.Dense(1)])',
  'model.compile(optimizer="adam", loss="mse")',
  'model.fit(x, y, epochs=40, validation_data=(vx, vy), callbacks=[])',
);
const KERAS_EMPTY_CALLBACKS_FIXED = py(
  'from tensorflow import keras',
  'model = keras.Sequential([keras.layers.Dense(1)])',
  'model.compile(optimizer="adam", loss="mse")',
  'model.fit(x, y, epochs=40, validation_data=(vx, vy), callbacks=[keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=5)])',
);

/** The callback class is imported by name: the fix uses that name. Multi-line call with a trailing comma. */
const KERAS_IMPORTED_NAME = py(
  'import tensorflow as tf',
  'from tensorflow.keras.callbacks import CSVLogger, ReduceLROnPlateau',
  'model = tf.keras.Sequential([tf.keras.layers.Dense(3, activation="softmax")])',
  'model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=0.01), loss="categorical_crossentropy")',
  'model.fit(',
  '    x,',
  '    y,',
  '    validation_split=0.1,',
  '    callbacks=[CSVLogger("log.csv"),],',
  ')',
);
const KERAS_IMPORTED_NAME_FIXED = KERAS_IMPORTED_NAME.replace(
  'callbacks=[CSVLogger("log.csv"),],',
  'callbacks=[CSVLogger("log.csv"), ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=5)],',
);

/** Without validation data there is no `val_loss` to monitor: the finding comes without a fix. */
const KERAS_NO_VALIDATION = py(
  'import keras',
  'model = keras.Sequential([keras.layers.Dense(1)])',
  'model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")',
  'model.fit(x, y, epochs=40)',
);

interface Case {
  readonly name: string;
  readonly text: string;
  readonly log: () => LoggedRun;
  readonly at: string;
  readonly line: number;
  readonly message?: () => string;
  readonly fix: { readonly title: string; readonly text: string } | null;
}

const PLATEAU_TITLE = 'Halve the learning rate when `val_loss` stops improving (ReduceLROnPlateau)';
const COSINE_TITLE = 'Decay the learning rate over the epochs (CosineAnnealingLR)';
const KERAS_TITLE = 'Halve the learning rate when `val_loss` stops improving (ReduceLROnPlateau callback)';

const mustReport: Case[] = [
  {
    name: 'PyTorch plateau: ReduceLROnPlateau after the optimizer, stepped with the validation loss at the end of the epoch',
    text: TORCH_LOOP, log: () => PLATEAU, at: 'torch.optim.SGD(model.parameters(), lr=0.1)', line: 5,
    message: () => torchMessage('optimizer', 'torch.optim.SGD', plateauClause(), TORCH_PLATEAU_ADVICE),
    fix: { title: PLATEAU_TITLE, text: TORCH_LOOP_PLATEAU_FIXED },
  },
  {
    name: 'PyTorch plateau with tabs and CRLF: both kept',
    text: crlf(tabs(TORCH_LOOP)), log: () => PLATEAU, at: 'torch.optim.SGD(model.parameters(), lr=0.1)', line: 5,
    fix: { title: PLATEAU_TITLE, text: crlf(tabs(TORCH_LOOP_PLATEAU_FIXED)) },
  },
  {
    name: 'PyTorch oscillation: CosineAnnealingLR over the literal epoch count, stepped once per epoch',
    text: TORCH_LOOP, log: () => OSCILLATION, at: 'torch.optim.SGD(model.parameters(), lr=0.1)', line: 5,
    message: () => torchMessage('optimizer', 'torch.optim.SGD', oscillationClause(), OSCILLATION_ADVICE),
    fix: { title: COSINE_TITLE, text: TORCH_LOOP_OSCILLATION_FIXED },
  },
  {
    name: 'epoch loop that calls the function holding the batch loop; `val_loss` out of a tuple (plateau)',
    text: CALLED_EPOCH, log: () => PLATEAU, at: 'optim.AdamW(net.parameters(), lr=3e-4)', line: 12,
    message: () => torchMessage('opt', 'optim.AdamW', plateauClause(), TORCH_PLATEAU_ADVICE),
    fix: { title: PLATEAU_TITLE, text: CALLED_EPOCH_PLATEAU_FIXED },
  },
  {
    name: 'same script, oscillation: T_max is the bound of `range(1, epochs + 1)`',
    text: CALLED_EPOCH, log: () => OSCILLATION, at: 'optim.AdamW(net.parameters(), lr=3e-4)', line: 12,
    fix: { title: COSINE_TITLE, text: CALLED_EPOCH_OSCILLATION_FIXED },
  },
  {
    name: 'a body that ends the file without a line break gets one before the step',
    text: NO_FINAL_NEWLINE, log: () => PLATEAU, at: 'torch.optim.SGD(m.parameters(), lr=1.0)', line: 3,
    fix: { title: PLATEAU_TITLE, text: NO_FINAL_NEWLINE_FIXED },
  },
  {
    name: 'a validation loss summed in a `with` block and averaged after it (plateau)',
    text: SUMMED_VAL, log: () => PLATEAU, at: 'torch.optim.SGD(model.parameters(), lr=0.01)', line: 4,
    fix: { title: PLATEAU_TITLE, text: SUMMED_VAL_PLATEAU_FIXED },
  },
  {
    name: 'oscillation over `tqdm(range(EPOCHS))`',
    text: SUMMED_VAL, log: () => OSCILLATION, at: 'torch.optim.SGD(model.parameters(), lr=0.01)', line: 4,
    fix: { title: COSINE_TITLE, text: SUMMED_VAL_OSCILLATION_FIXED },
  },
  {
    name: 'an epoch body that ends in `break`: a line after it would never run, no fix',
    text: NO_FINAL_NEWLINE + '\n    break\n', log: () => PLATEAU, at: 'torch.optim.SGD(m.parameters(), lr=1.0)', line: 3, fix: null,
  },
  {
    name: 'two validation-loss names, neither a sum: ambiguous, no fix',
    text: TORCH_LOOP.replace('    print(epoch, val_loss)', '    test_loss = evaluate(model, test_loader)'), log: () => PLATEAU,
    at: 'torch.optim.SGD(model.parameters(), lr=0.1)', line: 5, fix: null,
  },
  {
    name: 'a step-count loop in a function called from a loop (seeds): not an epoch loop, no fix',
    text: py(
      'import torch',
      'model = torch.nn.Linear(2, 2)',
      'optimizer = torch.optim.SGD(model.parameters(), lr=0.1)',
      'def run(steps):',
      '    for step in range(steps):',
      '        optimizer.zero_grad()',
      '        model(next(batches)).sum().backward()',
      '        optimizer.step()',
      'for seed in range(3):',
      '    run(1000)',
      '    val_loss = evaluate(model)',
    ),
    log: () => PLATEAU, at: 'torch.optim.SGD(model.parameters(), lr=0.1)', line: 3, fix: null,
  },
  { name: 'no variable holds the validation loss: finding, no fix', text: NO_VAL_VARIABLE, log: () => PLATEAU, at: 'torch.optim.Adam(model.parameters())', line: 3, fix: null },
  { name: 'no binding to spell the scheduler with: finding, no fix', text: NO_SPELLING, log: () => PLATEAU, at: 'SGD(model.parameters(), lr=0.1)', line: 4, fix: null },
  {
    name: 'Keras: the callback goes into an empty `callbacks=[]`, spelled through `from tensorflow import keras`',
    text: KERAS_EMPTY_CALLBACKS, log: () => PLATEAU, at: 'model.fit', line: 4,
    message: () => kerasMessage(plateauClause()),
    fix: { title: KERAS_TITLE, text: KERAS_EMPTY_CALLBACKS_FIXED },
  },
  {
    name: 'Keras: appended after a trailing comma, with the imported class name (CRLF)',
    text: crlf(KERAS_IMPORTED_NAME), log: () => OSCILLATION, at: 'model.fit', line: 5,
    fix: { title: KERAS_TITLE, text: crlf(KERAS_IMPORTED_NAME_FIXED) },
  },
  { name: 'Keras without validation data: finding, no fix', text: KERAS_NO_VALIDATION, log: () => PLATEAU, at: 'model.fit', line: 4, fix: null },
];

const mustNotReport: { name: string; text: string; log?: () => LoggedRun }[] = [
  { name: 'a StepLR scheduler', text: TORCH_LOOP.replace('for epoch', 'sched = torch.optim.lr_scheduler.StepLR(optimizer, 10)\nfor epoch') },
  {
    name: 'transformers get_linear_schedule_with_warmup',
    text: TORCH_LOOP.replace('import torch\n', 'import torch\nfrom transformers import get_linear_schedule_with_warmup\n').replace('for epoch', 'lr_sched = get_linear_schedule_with_warmup(optimizer, 100, 1000)\nfor epoch'),
  },
  { name: "a manual `param_group['lr'] = ...` update", text: TORCH_LOOP.replace('    val_loss =', "    for g in optimizer.param_groups:\n        g['lr'] = 0.1 * 0.9 ** epoch\n    val_loss =") },
  { name: 'an LR helper from another module', text: TORCH_LOOP.replace('    val_loss =', '    adjust_learning_rate(optimizer, epoch)\n    val_loss =') },
  {
    name: 'Lightning returning a scheduler from configure_optimizers',
    text: py(
      'import torch',
      'import lightning as L',
      'class Model(L.LightningModule):',
      '    def configure_optimizers(self):',
      '        opt = torch.optim.Adam(self.parameters())',
      '        return {"optimizer": opt, "lr_scheduler": torch.optim.lr_scheduler.ReduceLROnPlateau(opt)}',
    ),
  },
  { name: 'the step outside any loop (a `train_step` function)', text: py('import torch', 'm = torch.nn.Linear(1, 1)', 'opt = torch.optim.SGD(m.parameters(), lr=0.1)', 'def train_step(x):', '    opt.zero_grad()', '    m(x).sum().backward()', '    opt.step()') },
  { name: 'Keras with a ReduceLROnPlateau callback', text: KERAS_EMPTY_CALLBACKS.replace('callbacks=[]', 'callbacks=[keras.callbacks.ReduceLROnPlateau()]') },
  { name: 'Keras with a LearningRateScheduler callback', text: KERAS_EMPTY_CALLBACKS.replace('callbacks=[]', 'callbacks=[keras.callbacks.LearningRateScheduler(lambda e, lr: lr * 0.9)]') },
  {
    name: 'Keras optimizer with a decay schedule',
    text: py(
      'from tensorflow import keras',
      'schedule = keras.optimizers.schedules.ExponentialDecay(1e-3, decay_steps=1000, decay_rate=0.9)',
      'model = keras.Sequential([keras.layers.Dense(1)])',
      'model.compile(optimizer=keras.optimizers.Adam(learning_rate=schedule), loss="mse")',
      'model.fit(x, y, validation_split=0.2)',
    ),
  },
  { name: 'Keras callbacks built elsewhere (unknown)', text: KERAS_EMPTY_CALLBACKS.replace('callbacks=[]', 'callbacks=make_callbacks()') },
  { name: 'Keras with a callback class from another module (it might set the rate)', text: KERAS_EMPTY_CALLBACKS.replace('callbacks=[]', 'callbacks=[WarmRestarts(10)]') },
  { name: 'fit on something the file does not compile (scikit-learn)', text: py('from tensorflow import keras', 'scaler.fit(x)') },
  { name: 'a log with overfitting only: not this rule\'s evidence', text: TORCH_LOOP, log: () => OVERFITTING_ONLY },
  { name: 'a log with no findings', text: TORCH_LOOP, log: () => ({ file: 'train.log', findings: [] }) },
  { name: 'suppressed on the optimizer line', text: TORCH_LOOP.replace('lr=0.1)', 'lr=0.1)  # traindx: ignore[no-lr-scheduler]') },
];

describe('no-lr-scheduler: must report', () => {
  for (const c of mustReport) {
    test(c.name, () => {
      const all = found(c.text, c.log());
      assert.equal(all.length, 1, `findings: ${JSON.stringify(all.map((f) => f.message))}`);
      const [f] = all;
      assert.equal(f.severity, 'info');
      assert.equal(c.text.slice(f.start, f.end), c.at);
      assert.equal(new LineIndex(c.text).positionAt(f.start).line, c.line);
      if (c.message) assert.equal(f.message, c.message());
      const evidence = c.log().findings.filter((e) => e.id === 'plateau' || e.id === 'oscillation');
      assert.deepEqual(f.related.map((r) => [r.location.file, r.location.line]), evidence.map((e) => ['train.log', e.line]));
      if (c.fix === null) {
        assert.deepEqual(f.fixes, []);
        return;
      }
      assert.equal(f.fixes.length, 1);
      assert.equal(f.fixes[0].title, c.fix.title);
      assert.equal(f.fixes[0].safe, false);
      assert.equal(applyEdits(c.text, f.fixes[0].edits), c.fix.text);
    });
  }
});

describe('no-lr-scheduler: after the fix', () => {
  for (const c of mustReport) {
    if (c.fix === null) continue;
    const fixed = c.fix.text;
    test(`quiet on re-analysis, parses (tree-sitter and python3), keeps line endings and tabs: ${c.name}`, () => {
      assert.deepEqual(found(fixed, c.log()).map((f) => f.message), []);
      assert.deepEqual(parser.withTree(fixed, (tree) => syntaxProblems(tree.rootNode).map((n) => n.type)), []);
      assertPythonParses(fixed);
      if (c.text.includes('\r\n')) assert.equal(fixed.replace(/\r\n/g, '').includes('\n'), false, 'CRLF kept throughout');
      if (/^\t/m.test(c.text)) assert.equal(/^ +\S/m.test(fixed), false, 'tab indentation kept');
    });
  }
});

describe('no-lr-scheduler: must not report', () => {
  for (const c of mustNotReport) {
    test(c.name, () => {
      assert.deepEqual(found(c.text, (c.log ?? (() => PLATEAU))()).map((f) => f.message), []);
    });
  }

  test('never from analyzeCode alone, even with no scheduler at all', () => {
    for (const c of mustReport) assert.deepEqual(analyzeCode(parser, c.text, 'train.py').filter((f) => f.id === RULE), []);
  });

  test('the ignore option turns it off', () => {
    assert.equal(found(TORCH_LOOP, PLATEAU).length, 1);
    assert.deepEqual(found(TORCH_LOOP, PLATEAU, { ignore: [RULE] }), []);
  });
});

describe('no-lr-scheduler: the logged learning rate', () => {
  /** The plateau fixture with an `LR` column: halved every 10 epochs, or constant. */
  const withLr = (halving: boolean): LoggedRun => {
    const text = fixture('evidence/plateau-torch/train.log').replace(/Epoch (\d+)\/40(.*)$/gm, (_m, epoch: string, rest: string) =>
      `Epoch ${epoch}/40${rest}, LR: ${halving ? 0.05 / 2 ** Math.floor((Number(epoch) - 1) / 10) : 0.05}`);
    const analysis = analyzeLogText(text, 'train.log');
    assert.ok(analysis.ok);
    const [{ run, findings }] = analysis.runs;
    assert.equal(run.series.some((s) => s.metric === 'lr'), true, 'the LR column is read');
    return { file: 'train.log', findings, run };
  };

  test('a learning rate that changes in the log means a scheduler exists somewhere: silent', () => {
    const log = withLr(true);
    assert.equal(log.findings.some((f) => f.id === 'plateau'), true, 'the plateau is still there');
    assert.deepEqual(found(TORCH_LOOP, log), []);
  });

  test('a constant logged learning rate: reported', () => {
    assert.equal(found(TORCH_LOOP, withLr(false)).length, 1);
  });
});

describe('evidenceClause', () => {
  test('the first clause, commas and semicolons inside parentheses kept', () => {
    assert.equal(evidenceClause('validation `loss` has not improved on 0.41 (epoch 14) for 20 epochs, 60% of the run. More.'), 'validation `loss` has not improved on 0.41 (epoch 14) for 20 epochs');
    assert.equal(evidenceClause('`loss` oscillates from epoch 3 to epoch 9 (swing 0.1, 20%; big). Lower it.'), '`loss` oscillates from epoch 3 to epoch 9 (swing 0.1, 20%; big)');
    assert.equal(evidenceClause('train `loss` started climbing at epoch 12: from 0.5 to 9'), 'train `loss` started climbing at epoch 12');
    assert.equal(evidenceClause('no separator, a final stop.'), 'no separator');
    assert.equal(evidenceClause('values 1.5e-05 and 0.99 stay whole'), 'values 1.5e-05 and 0.99 stay whole');
  });

  test('on the fixture logs: the plateau and the oscillation in numbers', () => {
    assert.match(plateauClause(), /^validation `loss` has not improved on [0-9.]+ \(epoch \d+\) for \d+ epochs$/);
    assert.match(oscillationClause(), /^validation `loss` oscillates with a period of 2 evaluations \(a zig-zag\) from epoch \d+ to epoch \d+ \(swing [^)]+\)$/);
  });
});

describe('evidence rule registry', () => {
  test('ids are kebab-case, unique, documented with the four sections, and not run by analyzeCode', () => {
    const ids = EVIDENCE_RULES.map((r) => r.id);
    assert.deepEqual(ids, ['no-lr-scheduler', 'no-early-stopping']);
    for (const rule of EVIDENCE_RULES) {
      assert.match(rule.id, /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
      assert.equal(RULES.some((r) => r.id === rule.id), false, `${rule.id} must not run without evidence`);
      assert.equal(rule.docs, `docs/rules/${rule.id}.md`);
      const path = join(ROOT, rule.docs);
      assert.ok(existsSync(path), `missing ${rule.docs}`);
      const doc = readFileSync(path, 'utf8');
      for (const section of ['What it detects', 'Why it matters', 'How to fix', 'Example']) assert.match(doc, new RegExp(`^## ${section}\\b`, 'm'));
      if (rule.fixable) assert.match(doc, /Fix safety/);
    }
    assert.deepEqual(EVIDENCE_RULES.map((r) => r.evidence), [['plateau', 'oscillation'], ['overfitting']]);
  });
});
