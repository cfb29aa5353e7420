import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { analyzeCode } from '../../src/engine/code/index';
import { syntaxProblems, type PythonParser } from '../../src/engine/code/python';
import { applyEdits, LineIndex } from '../../src/engine/text';
import type { CodeFinding } from '../../src/engine/types';
import { loadPythonParser } from '../../src/node/grammar';

const RULE = 'rnn-no-grad-clip';
const CLIP = 'torch.nn.utils.clip_grad_norm_';

/** Test bundles run from the repository root (`node --test out/unit/`), wherever the bundle itself lives. */
const fixture = (name: string): string => readFileSync(join(process.cwd(), 'test/fixtures/code', name), 'utf8');
const py = (...lines: string[]): string => `${lines.join('\n')}\n`;
const crlf = (text: string): string => text.replace(/\r?\n/g, '\r\n');

let parser: PythonParser;
before(async () => {
  parser = await loadPythonParser();
});

function findings(text: string): CodeFinding[] {
  return analyzeCode(parser, text, 'train.py').filter((f) => f.id === RULE);
}

/** Applies the finding's only fix. */
function applyFix(text: string, finding: CodeFinding): string {
  assert.equal(finding.fixes.length, 1, 'expected exactly one fix');
  return applyEdits(text, finding.fixes[0].edits);
}

function assertParsesCleanly(text: string): void {
  const problems = parser.withTree(text, (tree) => syntaxProblems(tree.rootNode).map((n) => `${n.type} at ${n.startIndex}`));
  assert.deepEqual(problems, []);
}

// ---------------------------------------------------------------------------------------------------------------
// Sources shared by several tables

const BARE_CLIP_WITH_SCHEDULER = py(
  'import torch.nn as nn',
  'from torch.nn.utils import clip_grad_norm_',
  'from torch.optim import Adam',
  'from torch.optim.lr_scheduler import StepLR',
  '',
  'rnn = nn.LSTM(8, 16)',
  'opt = Adam(rnn.parameters())',
  'scheduler = StepLR(opt, step_size=10)',
  'for x in data:',
  '    opt.zero_grad()',
  '    loss = rnn(x)[0].sum()',
  '    loss.backward()  # gradients',
  '    opt.step()',
  '    scheduler.step()',
);

const ACCUMULATION = py(
  'import torch',
  'from torch import nn',
  '',
  'model = nn.GRU(4, 4)',
  'optimizer = torch.optim.SGD(model.parameters(), lr=0.1)',
  'for i, x in enumerate(data):',
  '    loss = model(x)[0].mean() / 4',
  '    loss.backward()',
  '    if (i + 1) % 4 == 0:',
  '        optimizer.step()',
  '        optimizer.zero_grad()',
);

const PARAM_GROUPS_ONE_MODEL = py(
  'import torch',
  'import torch.nn as nn',
  '',
  'class Net(nn.Module):',
  '    def __init__(self):',
  '        super().__init__()',
  '        self.rnn = nn.RNN(10, 20)',
  '        self.fc = nn.Linear(20, 1)',
  '',
  'model = Net().to("cuda")',
  'optimizer = torch.optim.Adam([{"params": model.rnn.parameters()}, {"params": model.fc.parameters(), "lr": 1e-2}], lr=1e-3)',
  'for x, y in loader:',
  '    optimizer.zero_grad()',
  '    loss = (model.fc(model.rnn(x)[0][-1]) - y).pow(2).mean()',
  '    loss.backward()',
  '    optimizer.step()',
);

const TRAINER_CLASS = py(
  'import torch',
  'from torch import nn',
  '',
  'class Trainer:',
  '    def __init__(self, model):',
  '        self.model = model',
  '        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)',
  '',
  '    def fit(self, loader):',
  '        for x, y in loader:',
  '            self.optimizer.zero_grad()',
  '            loss = self.model(x, y)',
  '            loss.backward()',
  '            self.optimizer.step()',
  '',
  'Trainer(nn.LSTM(8, 8)).fit(batches)',
);

const NON_ASCII = py(
  '# Modèle récurrent — entraînement 😀 (UTF-16: the emoji is two code units)',
  'import torch',
  'import torch.nn as nn',
  'rnn = nn.GRU(3, 3)  # «couche» récurrente',
  'opt = torch.optim.Adam(rnn.parameters())',
  'for x in xs:',
  '    loss = rnn(x)[0].sum()  # perte ∑',
  '    loss.backward()',
  '    opt.step()',
);

const QUALIFIED_NO_LOOP = py(
  'import torch',
  '',
  'net = torch.nn.GRU(16, 16)',
  'optimizer = torch.optim.RMSprop(params=net.parameters(), lr=1e-3)',
  '',
  'def train_step(x):',
  '    optimizer.zero_grad()',
  '    loss = net(x)[0].pow(2).mean()',
  '    loss.backward()',
  '    optimizer.step()',
  '    return loss.item()',
);

const STAR_IMPORT = py(
  'import torch',
  'from torch.nn import *',
  '',
  'cell = GRUCell(8, 8)',
  'optim = torch.optim.SGD(cell.parameters(), lr=0.5)',
  'while running:',
  '    loss = cell(x, h).sum()',
  '    loss.backward()',
  '    optim.step()',
);

// ---------------------------------------------------------------------------------------------------------------
// Must report, with the exact text after the fix

interface ReportCase {
  readonly name: string;
  readonly text: () => string;
  /** 1-based line and column of the step call. */
  readonly line: number;
  readonly column: number;
  readonly step: string;
  /** Layer as the message names it: `nn.GRU`, line 17. */
  readonly layer: string;
  readonly layerLine: number;
  /** Full text after applying the fix; `null` when no fix may be offered. */
  readonly fixed: (() => string) | null;
}

const mustReport: ReportCase[] = [
  {
    name: 'seed 000: GRU sentiment model, Adam, no clipping',
    text: () => fixture('seed000_gru_train.py'),
    line: 69, column: 9, step: 'optimizer.step()', layer: 'nn.GRU', layerLine: 17,
    fixed: () => fixture('seed000_gru_train.fixed.py'),
  },
  {
    name: 'LSTM with GradScaler, tab-indented',
    text: () => fixture('lstm_grad_scaler_tabs.py'),
    line: 32, column: 4, step: 'scaler.step(optimizer)', layer: 'LSTM', layerLine: 11,
    fixed: () => fixture('lstm_grad_scaler_tabs.fixed.py'),
  },
  {
    name: 'LSTM with GradScaler, tab-indented, CRLF line endings',
    text: () => crlf(fixture('lstm_grad_scaler_tabs.py')),
    line: 32, column: 4, step: 'scaler.step(optimizer)', layer: 'LSTM', layerLine: 11,
    fixed: () => crlf(fixture('lstm_grad_scaler_tabs.fixed.py')),
  },
  {
    name: 'bare clip_grad_norm_ import, trailing comment, scheduler.step() after the optimizer',
    text: () => BARE_CLIP_WITH_SCHEDULER,
    line: 13, column: 5, step: 'opt.step()', layer: 'nn.LSTM', layerLine: 6,
    fixed: () => BARE_CLIP_WITH_SCHEDULER.replace(
      '    loss.backward()  # gradients\n',
      '    loss.backward()  # gradients\n    clip_grad_norm_(rnn.parameters(), max_norm=1.0)\n',
    ),
  },
  {
    name: 'gradient accumulation: the step sits in an `if` after backward()',
    text: () => ACCUMULATION,
    line: 10, column: 9, step: 'optimizer.step()', layer: 'nn.GRU', layerLine: 4,
    fixed: () => py(
      'import torch',
      'from torch import nn',
      '',
      'model = nn.GRU(4, 4)',
      'optimizer = torch.optim.SGD(model.parameters(), lr=0.1)',
      'for i, x in enumerate(data):',
      '    loss = model(x)[0].mean() / 4',
      '    loss.backward()',
      '    if (i + 1) % 4 == 0:',
      `        ${CLIP}(model.parameters(), max_norm=1.0)`,
      '        optimizer.step()',
      '        optimizer.zero_grad()',
    ),
  },
  {
    name: 'param groups, one model in sight: falls back to model.parameters()',
    text: () => PARAM_GROUPS_ONE_MODEL,
    line: 16, column: 5, step: 'optimizer.step()', layer: 'nn.RNN', layerLine: 7,
    fixed: () => PARAM_GROUPS_ONE_MODEL.replace(
      '    loss.backward()\n',
      `    loss.backward()\n    ${CLIP}(model.parameters(), max_norm=1.0)\n`,
    ),
  },
  {
    name: 'optimizer built in __init__, stepped in another method through self',
    text: () => TRAINER_CLASS,
    line: 14, column: 13, step: 'self.optimizer.step()', layer: 'nn.LSTM', layerLine: 16,
    fixed: () => TRAINER_CLASS.replace(
      '            loss.backward()\n',
      `            loss.backward()\n            ${CLIP}(self.model.parameters(), max_norm=1.0)\n`,
    ),
  },
  {
    name: 'non-ASCII text (accents, emoji, math) before and inside the code',
    text: () => NON_ASCII,
    line: 9, column: 5, step: 'opt.step()', layer: 'nn.GRU', layerLine: 4,
    fixed: () => NON_ASCII.replace('    loss.backward()\n', `    loss.backward()\n    ${CLIP}(rnn.parameters(), max_norm=1.0)\n`),
  },
  {
    name: 'torch.nn.GRU spelled out, params= keyword, step in a function without a loop',
    text: () => QUALIFIED_NO_LOOP,
    line: 10, column: 5, step: 'optimizer.step()', layer: 'torch.nn.GRU', layerLine: 3,
    fixed: () => QUALIFIED_NO_LOOP.replace('    loss.backward()\n', `    loss.backward()\n    ${CLIP}(net.parameters(), max_norm=1.0)\n`),
  },
  {
    name: 'GRUCell from `from torch.nn import *`, while loop',
    text: () => STAR_IMPORT,
    line: 9, column: 5, step: 'optim.step()', layer: 'GRUCell', layerLine: 4,
    fixed: () => STAR_IMPORT.replace('    loss.backward()\n', `    loss.backward()\n    ${CLIP}(cell.parameters(), max_norm=1.0)\n`),
  },
  {
    name: 'GradScaler known by its constructor, backward() on a scaled loss variable',
    text: () => py(
      'import torch',
      'from torch.cuda.amp import GradScaler',
      'model = torch.nn.GRU(8, 8)',
      'optimizer = torch.optim.Adam(model.parameters())',
      'scaler = GradScaler()',
      'for x in loader:',
      '    scaled = scaler.scale(model(x)[0].sum())',
      '    scaled.backward()',
      '    scaler.step(optimizer)',
      '    scaler.update()',
    ),
    line: 9, column: 5, step: 'scaler.step(optimizer)', layer: 'torch.nn.GRU', layerLine: 3,
    fixed: () => py(
      'import torch',
      'from torch.cuda.amp import GradScaler',
      'model = torch.nn.GRU(8, 8)',
      'optimizer = torch.optim.Adam(model.parameters())',
      'scaler = GradScaler()',
      'for x in loader:',
      '    scaled = scaler.scale(model(x)[0].sum())',
      '    scaled.backward()',
      '    scaler.unscale_(optimizer)',
      `    ${CLIP}(model.parameters(), max_norm=1.0)`,
      '    scaler.step(optimizer)',
      '    scaler.update()',
    ),
  },
  {
    name: 'a class deriving from torch.nn.LSTM',
    text: () => py(
      'import torch',
      'class Tagger(torch.nn.LSTM):',
      '    pass',
      'model = Tagger(4, 4)',
      'opt = torch.optim.Adam(model.parameters())',
      'for x in xs:',
      '    model(x)[0].sum().backward()',
      '    opt.step()',
    ),
    line: 8, column: 5, step: 'opt.step()', layer: 'torch.nn.LSTM', layerLine: 2,
    fixed: () => py(
      'import torch',
      'class Tagger(torch.nn.LSTM):',
      '    pass',
      'model = Tagger(4, 4)',
      'opt = torch.optim.Adam(model.parameters())',
      'for x in xs:',
      '    model(x)[0].sum().backward()',
      `    ${CLIP}(model.parameters(), max_norm=1.0)`,
      '    opt.step()',
    ),
  },
  {
    name: 'param groups and two models: finding without a fix',
    text: () => fixture('rnn_param_groups_two_models.py'),
    line: 19, column: 5, step: 'optimizer.step()', layer: 'nn.GRU', layerLine: 6,
    fixed: null,
  },
  {
    name: 'no torch import to spell the clip function with: finding without a fix',
    text: () => py(
      'model = nn.GRU(8, 8)',
      'optimizer = optim.Adam(model.parameters())',
      'for x in loader:',
      '    loss = model(x)[0].sum()',
      '    loss.backward()',
      '    optimizer.step()',
    ),
    line: 6, column: 5, step: 'optimizer.step()', layer: 'nn.GRU', layerLine: 1,
    fixed: null,
  },
  {
    name: 'backward and step on one line: finding without a fix',
    text: () => py(
      'import torch',
      'model = torch.nn.LSTM(8, 8)',
      'optimizer = torch.optim.Adam(model.parameters())',
      'for x in loader:',
      '    loss = model(x)[0].sum()',
      '    loss.backward(); optimizer.step()',
    ),
    line: 6, column: 22, step: 'optimizer.step()', layer: 'torch.nn.LSTM', layerLine: 2,
    fixed: null,
  },
  {
    name: 'optimizer params from a filter() iterator and two models: finding without a fix',
    text: () => py(
      'import torch',
      'import torch.nn as nn',
      'encoder = nn.LSTM(8, 8)',
      'head = nn.Sequential(nn.Linear(8, 2))',
      'params = filter(lambda p: p.requires_grad, encoder.parameters())',
      'optimizer = torch.optim.Adam(params)',
      'for x in loader:',
      '    loss = head(encoder(x)[0]).sum()',
      '    loss.backward()',
      '    optimizer.step()',
    ),
    line: 10, column: 5, step: 'optimizer.step()', layer: 'nn.LSTM', layerLine: 3,
    fixed: null,
  },
];

describe('rnn-no-grad-clip: must report', () => {
  for (const c of mustReport) {
    test(c.name, () => {
      const text = c.text();
      const found = findings(text);
      assert.equal(found.length, 1, `findings: ${JSON.stringify(found.map((f) => f.message))}`);
      const [f] = found;
      const lines = new LineIndex(text);
      assert.equal(f.severity, 'info');
      assert.equal(text.slice(f.start, f.end), c.step);
      assert.deepEqual(lines.positionAt(f.start), { line: c.line, column: c.column });
      assert.equal(
        f.message,
        `the model has a recurrent layer (\`${c.layer}\`, line ${c.layerLine}) but \`${c.step}\` runs without gradient ` +
          'clipping; exploding gradients in RNNs cause sudden loss spikes and accuracy collapses',
      );
      assert.equal(f.related.length, 1);
      assert.equal(f.related[0].location.line, c.layerLine);
      assert.equal(f.related[0].location.file, 'train.py');
      if (c.fixed === null) {
        assert.deepEqual(f.fixes, []);
        return;
      }
      assert.equal(f.fixes.length, 1);
      assert.equal(f.fixes[0].safe, false);
      assert.equal(f.fixes[0].title, `Clip gradients before ${c.step} (max_norm=1.0)`);
      assert.equal(applyFix(text, f), c.fixed());
    });
  }
});

describe('rnn-no-grad-clip: after the fix', () => {
  for (const c of mustReport.filter((m) => m.fixed !== null)) {
    test(`idempotent and parse-clean: ${c.name}`, () => {
      const text = c.text();
      const fixed = applyFix(text, findings(text)[0]);
      assert.deepEqual(findings(fixed), [], 're-analysing the fixed text must find nothing');
      assertParsesCleanly(fixed);
      if (text.includes('\r\n')) assert.equal(fixed.replace(/\r\n/g, '').includes('\n'), false, 'CRLF kept throughout');
    });
  }
});

test('rnn-no-grad-clip: each training step of a file is reported once, with its own optimizer', () => {
  const text = py(
    'import torch',
    'from torch import nn',
    'gen = nn.LSTM(16, 16)',
    'disc = nn.GRU(16, 16)',
    'opt_g = torch.optim.Adam(gen.parameters(), lr=2e-4)',
    'opt_d = torch.optim.Adam(disc.parameters(), lr=2e-4)',
    'for z, real in loader:',
    '    d_loss = disc(real)[0].mean() - disc(gen(z)[0].detach())[0].mean()',
    '    d_loss.backward()',
    '    opt_d.step()',
    '    g_loss = -disc(gen(z)[0])[0].mean()',
    '    g_loss.backward()',
    '    opt_g.step()',
  );
  const found = findings(text);
  assert.deepEqual(found.map((f) => text.slice(f.start, f.end)), ['opt_d.step()', 'opt_g.step()']);
  const fixed = applyEdits(text, found.flatMap((f) => f.fixes[0].edits)); // both fixes are over the same text
  assert.ok(fixed.includes(`    d_loss.backward()\n    ${CLIP}(disc.parameters(), max_norm=1.0)\n    opt_d.step()`));
  assert.ok(fixed.includes(`    g_loss.backward()\n    ${CLIP}(gen.parameters(), max_norm=1.0)\n    opt_g.step()`));
  assert.deepEqual(findings(fixed), []);
});

// ---------------------------------------------------------------------------------------------------------------
// Must not report

const mustNotReport: { name: string; text: () => string }[] = [
  { name: 'GRU already clipped with clip_grad_norm_', text: () => fixture('gru_clipped.py') },
  { name: 'no recurrent layer (a CNN)', text: () => fixture('cnn_no_rnn.py') },
  { name: 'recurrent model but no training step (inference)', text: () => fixture('rnn_no_training_step.py') },
  { name: 'RNN clipped by value with clip_grad_value_', text: () => fixture('rnn_clip_grad_value.py') },
  {
    name: 'clipping through a helper function of the same file',
    text: () => py(
      'import torch',
      'model = torch.nn.GRU(8, 8)',
      'optimizer = torch.optim.Adam(model.parameters())',
      'def clip(m):',
      '    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)',
      'for x in loader:',
      '    model(x)[0].sum().backward()',
      '    clip(model)',
      '    optimizer.step()',
    ),
  },
  {
    name: 'aliased clip import and legacy clip_grad_norm',
    text: () => py(
      'import torch',
      'from torch.nn.utils import clip_grad_norm_ as clip',
      'model = torch.nn.LSTM(8, 8)',
      'optimizer = torch.optim.Adam(model.parameters())',
      'for x in loader:',
      '    model(x)[0].sum().backward()',
      '    clip(model.parameters(), 0.5)',
      '    optimizer.step()',
      'for x in loader:',
      '    model(x)[0].sum().backward()',
      '    torch.nn.utils.clip_grad_norm(model.parameters(), 0.5)',
      '    optimizer.step()',
    ),
  },
  {
    name: 'accelerate clips through accelerator.clip_grad_norm_',
    text: () => py(
      'import torch',
      'from accelerate import Accelerator',
      'accelerator = Accelerator()',
      'model = torch.nn.GRU(8, 8)',
      'optimizer = torch.optim.Adam(model.parameters())',
      'model, optimizer = accelerator.prepare(model, optimizer)',
      'for x in loader:',
      '    loss = model(x)[0].sum()',
      '    accelerator.backward(loss)',
      '    accelerator.clip_grad_norm_(model.parameters(), 1.0)',
      '    optimizer.step()',
    ),
  },
  {
    name: 'a GRU class that does not come from torch.nn',
    text: () => py(
      'import torch',
      'from my_models import GRU',
      'model = GRU(8, 8)',
      'optimizer = torch.optim.Adam(model.parameters())',
      'for x in loader:',
      '    model(x).backward()',
      '    optimizer.step()',
    ),
  },
  {
    name: 'only a scheduler steps after backward()',
    text: () => py(
      'import torch',
      'model = torch.nn.GRU(8, 8)',
      'scheduler = torch.optim.lr_scheduler.StepLR(opt, 5)',
      'for x in loader:',
      '    model(x)[0].sum().backward()',
      '    scheduler.step()',
    ),
  },
];

describe('rnn-no-grad-clip: must not report', () => {
  for (const c of mustNotReport) {
    test(c.name, () => {
      assert.deepEqual(findings(c.text()).map((f) => f.message), []);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Suppression, non-ASCII offsets, scale

describe('rnn-no-grad-clip: suppression', () => {
  const base = fixture('seed000_gru_train.py');
  const stepLine = '        optimizer.step()\n';

  test('`# traindx: ignore[rnn-no-grad-clip]` on the step line silences it', () => {
    const text = base.replace(stepLine, '        optimizer.step()  # traindx: ignore[rnn-no-grad-clip]\n');
    assert.deepEqual(findings(text), []);
  });

  test('a list of ids in one directive works; another rule id does not silence it', () => {
    assert.deepEqual(findings(base.replace(stepLine, '        optimizer.step()  # traindx: ignore[softmax-before-ce, rnn-no-grad-clip]\n')), []);
    assert.equal(findings(base.replace(stepLine, '        optimizer.step()  # traindx: ignore[softmax-before-ce]\n')).length, 1);
  });

  test('the directive on another line does not silence it', () => {
    assert.equal(findings(base.replace('        loss.backward()\n', '        loss.backward()  # traindx: ignore[rnn-no-grad-clip]\n')).length, 1);
  });

  test('a directive-like string in code is not a comment', () => {
    const text = base.replace(stepLine, '        optimizer.step(); s = "# traindx: ignore[rnn-no-grad-clip]"\n');
    assert.equal(findings(text).length, 1);
  });

  test('options.ignore skips the rule', () => {
    assert.equal(findings(base).length, 1);
    assert.deepEqual(analyzeCode(parser, base, 'train.py', { ignore: [RULE] }).filter((f) => f.id === RULE), []);
  });
});

describe('rnn-no-grad-clip: UTF-16 offsets', () => {
  test('offsets after non-BMP and accented text index the JS string directly', () => {
    const [f] = findings(NON_ASCII);
    assert.equal(f.start, NON_ASCII.indexOf('opt.step()'));
    assert.equal(f.end, f.start + 'opt.step()'.length);
    const [edit] = f.fixes[0].edits;
    assert.equal(edit.start, NON_ASCII.indexOf('    opt.step()'));
    assert.equal(edit.end, edit.start);
  });
});

describe('rnn-no-grad-clip: speed', () => {
  test('a 5,000-line script (timing printed, not asserted)', (t) => {
    const unit = (i: number): string => py(
      `def train_${i}(loader, epochs=3):`,
      `    model_${i} = nn.GRU(32, 64, num_layers=2, batch_first=True)`,
      `    optimizer_${i} = torch.optim.Adam(model_${i}.parameters(), lr=1e-3)`,
      `    for epoch in range(epochs):`,
      `        total = 0.0`,
      `        for x, y in loader:`,
      `            optimizer_${i}.zero_grad()`,
      `            out, h = model_${i}(x)`,
      `            loss = ((out[:, -1] - y) ** 2).mean()`,
      `            loss.backward()`,
      `            optimizer_${i}.step()`,
      `            total += loss.item()  # running loss`,
      `        print(epoch, total)`,
      `    return model_${i}`,
      '',
      '',
    );
    let text = py('import torch', 'import torch.nn as nn', '', '');
    let count = 0;
    while (new LineIndex(text).lineCount <= 5000) text += unit(count++);
    const lines = new LineIndex(text).lineCount - 1; // the text ends with a line break
    analyzeCode(parser, text, 'big.py'); // warm-up: JIT, wasm tiers
    const times: number[] = [];
    let found: CodeFinding[] = [];
    for (let run = 0; run < 5; run++) {
      const started = performance.now();
      found = analyzeCode(parser, text, 'big.py');
      times.push(performance.now() - started);
    }
    const parseStarted = performance.now();
    parser.withTree(text, () => undefined);
    const parseMs = performance.now() - parseStarted;
    t.diagnostic(
      `analyzeCode on ${lines} lines (${text.length} chars, ${count} training loops): best of 5 ${Math.min(...times).toFixed(1)} ms ` +
        `(parse alone ${parseMs.toFixed(1)} ms), ${found.length} findings`,
    );
    assert.equal(found.length, count);
    assert.ok(found.every((f) => f.fixes.length === 1));
  });
});
