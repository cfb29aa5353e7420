/**
 * `no-early-stopping`: raised only through `analyzeEvidence`, when the linked log shows overfitting. The evidence
 * is what the detectors find in a real-shaped fixture log.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { analyzeLogText } from '../../src/engine/analyze-log';
import { analyzeEvidence } from '../../src/engine/code/evidence';
import { analyzeCode } from '../../src/engine/code/index';
import { evidenceClause } from '../../src/engine/code/no-lr-scheduler';
import { syntaxProblems, type PythonParser } from '../../src/engine/code/python';
import type { LoggedRun } from '../../src/engine/link/link';
import { applyEdits, LineIndex } from '../../src/engine/text';
import type { CodeFinding, CurveFinding } from '../../src/engine/types';
import { loadPythonParser } from '../../src/node/grammar';
import { assertPythonParses, crlf, py } from './code-rule-table';
import { tabs } from './code-rule-tables';
import { fixture } from './fixtures';

const RULE = 'no-early-stopping';

function linkedLog(path: string, only?: string): LoggedRun {
  const analysis = analyzeLogText(fixture(path), path);
  assert.ok(analysis.ok, `${path} must parse`);
  return { file: 'train.log', findings: analysis.runs.flatMap((r) => r.findings).filter((f) => only === undefined || f.id === only) };
}

const OVERFITTING = linkedLog('evidence/overfit-keras/train.log');
const PLATEAU_ONLY = linkedLog('evidence/plateau-torch/train.log', 'plateau');
const overfit = (): CurveFinding => {
  const f = OVERFITTING.findings.find((x) => x.id === 'overfitting');
  assert.ok(f, 'the fixture log shows overfitting');
  return f;
};
const clause = (): string => evidenceClause(overfit().message);

let parser: PythonParser;
before(async () => {
  parser = await loadPythonParser();
});

function found(text: string, log: LoggedRun = OVERFITTING): CodeFinding[] {
  return analyzeEvidence(parser, { file: 'train.py', text }, log).filter((f) => f.id === RULE);
}

const KERAS = py(
  'from tensorflow import keras',
  'model = keras.Sequential([keras.layers.Dense(10, activation="softmax")])',
  'model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")',
  'model.fit(x, y, epochs=30, validation_split=0.2)',
);
const KERAS_FIXED = py(
  'from tensorflow import keras',
  'model = keras.Sequential([keras.layers.Dense(10, activation="softmax")])',
  'model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")',
  'model.fit(x, y, epochs=30, validation_split=0.2, callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)])',
);
const KERAS_LIST = py(
  'import tensorflow as tf',
  'model = tf.keras.models.Sequential([tf.keras.layers.Dense(1)])',
  'model.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss="mse")',
  'history = model.fit(',
  '    x, y,',
  '    validation_data=(vx, vy),',
  '    callbacks=[tf.keras.callbacks.ModelCheckpoint("m.keras")]',
  ')',
);
const KERAS_LIST_FIXED = KERAS_LIST.replace(
  'callbacks=[tf.keras.callbacks.ModelCheckpoint("m.keras")]',
  'callbacks=[tf.keras.callbacks.ModelCheckpoint("m.keras"), tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)]',
);

const TORCH_SAVE_EVERY_EPOCH = py(
  'import torch',
  'from torch import nn',
  '',
  'model = nn.Linear(8, 2)',
  'optimizer = torch.optim.Adam(model.parameters())',
  'for epoch in range(30):',
  '    for x, y in train_loader:',
  '        optimizer.zero_grad()',
  '        nn.functional.cross_entropy(model(x), y).backward()',
  '        optimizer.step()',
  '    val_loss = evaluate(model)',
  '    torch.save(model.state_dict(), "model.pt")',
);

const torchMessage = (): string =>
  `\`torch.save(...)\` runs every epoch and overwrites the checkpoint, and the linked log \`train.log\` shows ${clause()}: ` +
  `the saved model is the last epoch's, not the best one (epoch ${overfit().epoch}). Save when the validation loss improves, or keep one checkpoint per epoch.`;
const kerasMessage = (): string =>
  `\`model.fit(...)\` runs every epoch it is given with no \`EarlyStopping\` callback, and the linked log \`train.log\` shows ${clause()}: ` +
  `the model it leaves behind is the last epoch's, not the best one (epoch ${overfit().epoch}).`;
const TITLE = 'Stop when `val_loss` stops improving and keep the best weights (EarlyStopping, patience=5)';

interface Case {
  readonly name: string;
  readonly text: string;
  readonly at: string;
  readonly line: number;
  readonly message?: () => string;
  readonly fix: string | null;
}

const mustReport: Case[] = [
  { name: 'Keras fit without callbacks: the keyword is added', text: KERAS, at: 'model.fit', line: 4, message: kerasMessage, fix: KERAS_FIXED },
  { name: 'Keras: appended to the list, spelled `tf.keras.callbacks` (tabs, CRLF)', text: crlf(tabs(KERAS_LIST)), at: 'model.fit', line: 4, fix: crlf(tabs(KERAS_LIST_FIXED)) },
  { name: 'Keras without validation data: finding, no fix', text: KERAS.replace(', validation_split=0.2', ''), at: 'model.fit', line: 4, fix: null },
  {
    name: 'PyTorch: `torch.save` of the state dict every epoch, not under an `if`',
    text: TORCH_SAVE_EVERY_EPOCH, at: 'torch.save(model.state_dict(), "model.pt")', line: 12, message: torchMessage, fix: null,
  },
  {
    name: 'PyTorch: the whole model saved every epoch, the batch loop in a function',
    text: py(
      'import torch',
      'def train(model, loader, opt):',
      '    for x, y in loader:',
      '        opt.zero_grad()',
      '        model(x).sum().backward()',
      '        opt.step()',
      'net = torch.nn.Linear(2, 2)',
      'opt = torch.optim.SGD(net.parameters(), lr=0.1)',
      'for epoch in range(10):',
      '    train(net, loader, opt)',
      '    torch.save(net, f"ckpt_{epoch}.pt")',
    ),
    at: 'torch.save(net, f"ckpt_{epoch}.pt")', line: 11, fix: null,
  },
];

const mustNotReport: { name: string; text: string; log?: LoggedRun }[] = [
  { name: 'Keras with EarlyStopping already', text: KERAS.replace('validation_split=0.2', 'validation_split=0.2, callbacks=[keras.callbacks.EarlyStopping(patience=3)]') },
  { name: 'Keras with a callback from another module', text: KERAS.replace('validation_split=0.2', 'validation_split=0.2, callbacks=[WandbCallback()]') },
  { name: 'Keras with a local callback that stops training', text: KERAS.replace('model.fit', 'class Stop(keras.callbacks.Callback):\n    def on_epoch_end(self, epoch, logs=None):\n        self.model.stop_training = logs["val_loss"] > 1\nmodel.fit') },
  { name: 'PyTorch: the checkpoint is saved only when the validation loss improves', text: TORCH_SAVE_EVERY_EPOCH.replace('    torch.save', '    if val_loss < best:\n        best = val_loss\n        torch.save') },
  { name: 'PyTorch: best checkpoint under an `if`, and a last one every epoch', text: TORCH_SAVE_EVERY_EPOCH + '    if val_loss < best:\n        torch.save(model.state_dict(), "best.pt")\n' },
  { name: 'PyTorch: no checkpoint at all (silence beats noise)', text: TORCH_SAVE_EVERY_EPOCH.replace('    torch.save(model.state_dict(), "model.pt")\n', '') },
  { name: 'PyTorch: saved once after training', text: TORCH_SAVE_EVERY_EPOCH.replace('    torch.save', 'torch.save') },
  { name: 'PyTorch: the save in a helper function (its caller decides)', text: TORCH_SAVE_EVERY_EPOCH.replace('    torch.save(model.state_dict(), "model.pt")\n', '    checkpoint(model)\ndef checkpoint(m):\n    torch.save(m.state_dict(), "model.pt")\n') },
  { name: 'PyTorch: something else saved every epoch (metrics)', text: TORCH_SAVE_EVERY_EPOCH.replace('torch.save(model.state_dict(), "model.pt")', 'torch.save({"val_loss": val_loss}, "metrics.pt")') },
  { name: 'a plateau is not this rule\'s evidence', text: KERAS, log: PLATEAU_ONLY },
  { name: 'suppressed on the line', text: KERAS.replace('validation_split=0.2)', 'validation_split=0.2)  # traindx: ignore[no-early-stopping]') },
];

describe('no-early-stopping: must report', () => {
  for (const c of mustReport) {
    test(c.name, () => {
      const all = found(c.text);
      assert.equal(all.length, 1, `findings: ${JSON.stringify(all.map((f) => f.message))}`);
      const [f] = all;
      assert.equal(f.severity, 'warning');
      assert.equal(c.text.slice(f.start, f.end), c.at);
      assert.equal(new LineIndex(c.text).positionAt(f.start).line, c.line);
      if (c.message) assert.equal(f.message, c.message());
      assert.deepEqual(f.related.map((r) => [r.location.file, r.location.line, r.message]), [['train.log', overfit().line, `overfitting: ${clause()}`]]);
      if (c.fix === null) {
        assert.deepEqual(f.fixes, []);
        return;
      }
      assert.equal(f.fixes.length, 1);
      assert.equal(f.fixes[0].title, TITLE);
      assert.equal(f.fixes[0].safe, false);
      assert.equal(applyEdits(c.text, f.fixes[0].edits), c.fix);
    });
  }
});

describe('no-early-stopping: after the fix', () => {
  for (const c of mustReport) {
    const fixed = c.fix;
    if (fixed === null) continue;
    test(`quiet on re-analysis, parses, keeps line endings and tabs: ${c.name}`, () => {
      assert.deepEqual(found(fixed).map((f) => f.message), []);
      assert.deepEqual(parser.withTree(fixed, (tree) => syntaxProblems(tree.rootNode).map((n) => n.type)), []);
      assertPythonParses(fixed);
      if (c.text.includes('\r\n')) assert.equal(fixed.replace(/\r\n/g, '').includes('\n'), false, 'CRLF kept throughout');
      if (/^\t/m.test(c.text)) assert.equal(/^ +\S/m.test(fixed), false, 'tab indentation kept');
    });
  }
});

describe('no-early-stopping: must not report', () => {
  for (const c of mustNotReport) {
    test(c.name, () => {
      assert.deepEqual(found(c.text, c.log).map((f) => f.message), []);
    });
  }

  test('never from analyzeCode alone', () => {
    for (const c of mustReport) assert.deepEqual(analyzeCode(parser, c.text, 'train.py').filter((f) => f.id === RULE), []);
  });

  test('the best epoch in the message is the overfitting finding\'s', () => {
    assert.equal(overfit().epoch, 8);
    assert.match(clause(), /^validation `loss` rose from its best [0-9.]+ at epoch 8 to [0-9.]+ \(\+\d+%\) by epoch 30$/);
  });
});
