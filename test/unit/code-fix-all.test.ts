import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { fixText } from '../../src/cli/fix';
import { applyFixes, fixAllSafe } from '../../src/engine/code/fix-all';
import { descendants, type PythonParser } from '../../src/engine/code/python';
import type { Rule } from '../../src/engine/code/rule';
import { loadPythonParser } from '../../src/node/grammar';
import { assertPythonParses, py } from './code-rule-table';

let parser: PythonParser;
before(async () => {
  parser = await loadPythonParser();
});

const SCRIPT = py(
  'import torch',
  'from torch.utils.data import DataLoader',
  '',
  'train_loader = DataLoader(train_set, batch_size=32)',
  'val_loader = DataLoader(val_set, batch_size=32)',
  'optimizer = torch.optim.SGD(model.parameters(), lr=0.1)',
  'for epoch in range(10):',
  '    model.train()',
  '    total_loss = 0',
  '    for x, y in train_loader:',
  '        loss = criterion(model(x), y)',
  '        loss.backward()',
  '        optimizer.step()',
  '        total_loss += loss',
  '    model.eval()',
  '    for x, y in val_loader:',
  '        with torch.no_grad():',
  '            val_loss = criterion(model(x), y).item()',
  '    print(epoch, total_loss / len(train_loader), val_loss)',
);

/** SCRIPT with the two safe fixes: the grad-free block hoisted, the loss accumulated as a number. */
const SAFE = py(
  'import torch',
  'from torch.utils.data import DataLoader',
  '',
  'train_loader = DataLoader(train_set, batch_size=32)',
  'val_loader = DataLoader(val_set, batch_size=32)',
  'optimizer = torch.optim.SGD(model.parameters(), lr=0.1)',
  'for epoch in range(10):',
  '    model.train()',
  '    total_loss = 0',
  '    for x, y in train_loader:',
  '        loss = criterion(model(x), y)',
  '        loss.backward()',
  '        optimizer.step()',
  '        total_loss += loss.item()',
  '    model.eval()',
  '    with torch.no_grad():',
  '        for x, y in val_loader:',
  '            val_loss = criterion(model(x), y).item()',
  '    print(epoch, total_loss / len(train_loader), val_loss)',
);

const ALL = SAFE
  .replace('DataLoader(train_set, batch_size=32)', 'DataLoader(train_set, batch_size=32, shuffle=True)')
  .replace('        optimizer.step()\n', '        optimizer.step()\n        optimizer.zero_grad()\n');

describe('fix all', () => {
  test('applies every safe fix and no unsafe one', () => {
    const result = fixAllSafe(parser, SCRIPT, 'train.py');
    assert.equal(result.text, SAFE);
    assert.deepEqual(result.applied.map((a) => a.id).sort(), ['loss-accumulates-graph', 'no-grad-inside-loop']);
    assert.deepEqual(result.remaining.map((f) => f.id), ['train-loader-no-shuffle', 'missing-zero-grad']);
    assert.ok(result.remaining.every((f) => f.fixes.every((fix) => !fix.safe)));
    assertPythonParses(result.text);
  });

  test('a second run changes nothing', () => {
    const again = fixAllSafe(parser, SAFE, 'train.py');
    assert.deepEqual(again.applied, []);
    assert.equal(again.text, SAFE);
  });

  test('with unsafe fixes asked for, applies those too', () => {
    const result = applyFixes(parser, SCRIPT, 'train.py', { unsafe: true });
    assert.equal(result.text, ALL);
    assert.deepEqual(result.remaining, []);
    assert.deepEqual(applyFixes(parser, ALL, 'train.py', { unsafe: true }).applied, []);
  });

  test('rules the user ignores are neither fixed nor reported; --rule limits the fixes', () => {
    const ignored = fixAllSafe(parser, SCRIPT, 'train.py', ['no-grad-inside-loop']);
    assert.equal(ignored.text, SAFE.replace(
      '    with torch.no_grad():\n        for x, y in val_loader:\n            val_loss',
      '    for x, y in val_loader:\n        with torch.no_grad():\n            val_loss',
    ));
    assert.ok(!ignored.remaining.some((f) => f.id === 'no-grad-inside-loop'));
    const only = applyFixes(parser, SCRIPT, 'train.py', { rules: ['train-loader-no-shuffle'], unsafe: true });
    assert.deepEqual(only.applied.map((a) => a.id), ['train-loader-no-shuffle']);
  });

  test('the CLI fix command is the same implementation', () => {
    assert.deepEqual(fixText(parser, SCRIPT, 'train.py', { rules: [], unsafe: false }), applyFixes(parser, SCRIPT, 'train.py'));
    assert.deepEqual(fixText(parser, SCRIPT, 'train.py', { rules: [], unsafe: true }).text, ALL);
  });

  test('a fix whose result does not parse is refused and the next one still applies', () => {
    const broken: Rule = {
      id: 'broken',
      docs: 'docs/rules/broken.md',
      severity: 'info',
      fixable: true,
      check: (ctx) => descendants(ctx.root, 'call').slice(0, 1).map((call) => ctx.report({
        node: call,
        message: 'm',
        fixes: [
          { title: 'breaks', safe: true, edits: [{ start: call.endIndex, end: call.endIndex, newText: '(' }] },
          { title: 'renames', safe: true, edits: [{ start: call.startIndex, end: call.startIndex + 1, newText: 'g' }] },
        ],
      })),
    };
    const result = applyFixes(parser, 'f(1)\n', 't.py', { registry: [broken] });
    // Round 1 refuses `breaks` and applies `renames`; in round 2 `breaks` is still refused and `renames` would
    // change nothing, so the loop ends.
    assert.equal(result.text, 'g(1)\n');
    assert.deepEqual(result.applied, [{ id: 'broken', title: 'renames' }]);
    assert.deepEqual(result.remaining.map((f) => f.id), ['broken']);
  });
});
