import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { analyzeProject } from '../../src/engine/code/analyze-project';
import { analyzeCode } from '../../src/engine/code/index';
import { displayPath, importedModuleNames, type ModuleResolver } from '../../src/engine/code/project';
import type { PythonParser } from '../../src/engine/code/python';
import { applyEdits } from '../../src/engine/text';
import type { CodeFinding } from '../../src/engine/types';
import { findModule, readProjectFiles } from '../../src/node/project-files';
import { sharedParser, py, syntaxProblemsOf } from './code-rule-tables';
import { fixture, ROOT } from './fixtures';

let parser: PythonParser;
before(async () => {
  parser = await sharedParser();
});

/** A resolver over in-memory files: `{ 'train.py': { model: 'model.py' } }` plus their texts. */
function resolverOf(files: Record<string, string>, imports: Record<string, Record<string, string>>): ModuleResolver {
  return (module, from) => {
    const file = imports[from]?.[module];
    return file === undefined ? undefined : { file, text: files[file] };
  };
}

const ids = (found: readonly CodeFinding[] | undefined, only?: string): string[] =>
  (found ?? []).filter((f) => only === undefined || f.id === only).map((f) => f.id);

const CLASSIFIER = py(
  'import torch.nn as nn',
  'import torch.nn.functional as F',
  'class Net(nn.Module):',
  '    def __init__(self):',
  '        super().__init__()',
  '        self.fc = nn.Linear(8, 3)',
  '    def forward(self, x):',
  '        return F.softmax(self.fc(x), dim=1)',
);

const trainWith = (importLine: string, ctor: string): string => py(
  'import torch.nn as nn',
  importLine,
  `model = ${ctor}`,
  'criterion = nn.CrossEntropyLoss()',
  'for x, y in loader:',
  '    criterion(model(x), y).backward()',
);

describe('analyzeProject: the model in model.py, the loop in train.py', () => {
  const dir = 'code/lstm_softmax_project';
  const files = { 'train.py': fixture(`${dir}/train.py`), 'model.py': fixture(`${dir}/model.py`) };
  const resolve = resolverOf(files, { 'train.py': { model: 'model.py' } });

  test('the softmax finding and its fix go in model.py, with related information in train.py', () => {
    const result = analyzeProject(parser, { file: 'train.py', text: files['train.py'] }, resolve);
    const [softmax, ...others] = result.get('model.py') ?? [];
    assert.deepEqual(others, []);
    assert.equal(softmax.id, 'softmax-before-ce');
    assert.equal(files['model.py'].slice(softmax.start, softmax.end), 'F.softmax(logits, dim=1)');
    assert.equal(
      softmax.message,
      'the output of `F.softmax(logits, dim=1)` is passed to `nn.CrossEntropyLoss` (train.py line 23), which applies log-softmax ' +
        'itself; the double softmax squashes the logits and flattens the gradients, so training stalls',
    );
    assert.deepEqual(softmax.related.map((r) => [r.location.file, r.location.line, r.message]), [['train.py', 23, 'loss `criterion(outputs, labels)`']]);
    assert.equal(softmax.fixes.length, 1);
    assert.equal(softmax.fixes[0].safe, false);
    const fixed = applyEdits(files['model.py'], softmax.fixes[0].edits);
    assert.equal(fixed, fixture(`${dir}/model.fixed.py`));
    assert.deepEqual(syntaxProblemsOf(parser, fixed), []);
    const again = analyzeProject(parser, { file: 'train.py', text: files['train.py'] }, resolverOf({ ...files, 'model.py': fixed }, { 'train.py': { model: 'model.py' } }));
    assert.equal(again.has('model.py'), false, 'after the fix nothing is reported in model.py');
  });

  test('the recurrent layer in model.py makes rnn-no-grad-clip report the step in train.py', () => {
    const found = analyzeProject(parser, { file: 'train.py', text: files['train.py'] }, resolve).get('train.py') ?? [];
    const [rnn] = found.filter((f) => f.id === 'rnn-no-grad-clip');
    assert.equal(files['train.py'].slice(rnn.start, rnn.end), 'optimizer.step()');
    assert.match(rnn.message, /^the model has a recurrent layer \(`nn\.LSTM`, model\.py line 11\) but `optimizer\.step\(\)` runs without/);
    assert.deepEqual(rnn.related.map((r) => [r.location.file, r.location.line]), [['model.py', 11]]);
    assert.equal(
      applyEdits(files['train.py'], rnn.fixes[0].edits),
      files['train.py'].replace('        loss.backward()\n', '        loss.backward()\n        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)\n'),
    );
  });

  test('clipping in a helper of another project file counts: `from utils import clip_gradients` (no finding, no fix)', () => {
    const utils = py(
      'import torch',
      'def clip_gradients(model, max_norm):',
      '    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)',
      'def log_gradients(model):',
      '    print(sum(p.grad.norm() for p in model.parameters()))',
    );
    const withHelper = (call: string) => {
      const train = files['train.py'].replace('        loss.backward()\n', `        loss.backward()\n        ${call}\n`);
      assert.notEqual(train, files['train.py']);
      const text = `from utils import clip_gradients, log_gradients\nimport utils\n${train}`;
      const imports = { 'train.py': { model: 'model.py', utils: 'utils.py' } };
      return ids(analyzeProject(parser, { file: 'train.py', text }, resolverOf({ ...files, 'utils.py': utils }, imports)).get('train.py'), 'rnn-no-grad-clip');
    };
    assert.deepEqual(withHelper('clip_gradients(model, 1.0)'), []);
    assert.deepEqual(withHelper('utils.clip_gradients(model, 1.0)'), []);
    // A helper that does not clip is not taken for one.
    assert.deepEqual(withHelper('log_gradients(model)'), ['rnn-no-grad-clip']);
  });

  test('analyzeCode on train.py alone sees neither, and equals analyzeProject without a resolver', () => {
    const alone = analyzeCode(parser, files['train.py'], 'train.py');
    assert.deepEqual(ids(alone).filter((id) => id === 'softmax-before-ce' || id === 'rnn-no-grad-clip'), []);
    const project = analyzeProject(parser, { file: 'train.py', text: files['train.py'] }, () => undefined);
    assert.deepEqual([...project.keys()], ['train.py']);
    assert.deepEqual(project.get('train.py'), alone);
  });

  test('a suppression comment in model.py silences the finding there', () => {
    const silenced = files['model.py'].replace('return F.softmax(logits, dim=1)', 'return F.softmax(logits, dim=1)  # traindx: ignore[softmax-before-ce]');
    const result = analyzeProject(parser, { file: 'train.py', text: files['train.py'] }, resolverOf({ ...files, 'model.py': silenced }, { 'train.py': { model: 'model.py' } }));
    assert.equal(result.has('model.py'), false);
  });

  test('options.ignore applies to the other files too', () => {
    const result = analyzeProject(parser, { file: 'train.py', text: files['train.py'] }, resolve, { ignore: ['softmax-before-ce', 'rnn-no-grad-clip'] });
    assert.equal(result.has('model.py'), false);
    assert.deepEqual(ids(result.get('train.py'), 'rnn-no-grad-clip'), []);
  });
});

describe('analyzeProject: import forms', () => {
  const cases: { name: string; importLine: string; ctor: string; module: string; file: string; extra?: Record<string, string>; extraImports?: Record<string, Record<string, string>> }[] = [
    { name: 'from model import Net', importLine: 'from model import Net', ctor: 'Net()', module: 'model', file: 'model.py' },
    { name: 'from .models import Net', importLine: 'from .models import Net', ctor: 'Net()', module: '.models', file: 'pkg/models.py' },
    { name: 'import models.rnn as m', importLine: 'import models.rnn as m', ctor: 'm.Net().to(device)', module: 'models.rnn', file: 'models/rnn.py' },
    { name: 'import models.rnn (dotted use)', importLine: 'import models.rnn', ctor: 'models.rnn.Net()', module: 'models.rnn', file: 'models/rnn.py' },
    { name: 'from . import models', importLine: 'from . import models', ctor: 'models.Net()', module: '.models', file: 'pkg/models.py' },
    { name: 'from models import * (star)', importLine: 'from models import *', ctor: 'Net()', module: 'models', file: 'models.py' },
    { name: 'aliased class', importLine: 'from model import Net as Classifier', ctor: 'Classifier()', module: 'model', file: 'model.py' },
    {
      name: 're-exported by a package __init__',
      importLine: 'from models import Net', ctor: 'Net()', module: 'models', file: 'models/__init__.py',
      extra: { 'models/__init__.py': 'from .classifier import Net\n', 'models/classifier.py': CLASSIFIER },
      extraImports: { 'models/__init__.py': { '.classifier': 'models/classifier.py' } },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const files: Record<string, string> = { [c.file]: CLASSIFIER, ...c.extra };
      const resolve = resolverOf(files, { 'train.py': { [c.module]: c.file }, ...c.extraImports });
      const result = analyzeProject(parser, { file: 'train.py', text: trainWith(c.importLine, c.ctor) }, resolve);
      const target = c.extra ? 'models/classifier.py' : c.file;
      const found = result.get(target) ?? [];
      assert.deepEqual(found.map((f) => `${f.id}:${files[target].slice(f.start, f.end)}`), ['softmax-before-ce:F.softmax(self.fc(x), dim=1)']);
    });
  }

  test('forward inherited from a base class in a third file', () => {
    const files = {
      'model.py': py('from base import Base', 'class Net(Base):', '    pass'),
      'base.py': CLASSIFIER.replace('class Net(nn.Module)', 'class Base(nn.Module)'),
    };
    const resolve = resolverOf(files, { 'train.py': { model: 'model.py' }, 'model.py': { base: 'base.py' } });
    const result = analyzeProject(parser, { file: 'train.py', text: trainWith('from model import Net', 'Net()') }, resolve);
    assert.deepEqual(ids(result.get('base.py')), ['softmax-before-ce']);
  });

  test('modules that import each other do not loop', () => {
    const files = { 'a.py': py('from b import Net'), 'b.py': py('from a import Net') };
    const resolve = resolverOf(files, { 'train.py': { a: 'a.py' }, 'a.py': { b: 'b.py' }, 'b.py': { a: 'a.py' } });
    const result = analyzeProject(parser, { file: 'train.py', text: trainWith('from a import Net', 'Net()') }, resolve);
    assert.deepEqual([...result.keys()], ['train.py']);
  });

  test('importedModuleNames lists what a resolver may be asked', () => {
    const names = parser.withTree(py('import a.b.c as x', 'from .pkg import mod, other as o', 'from .. import up', 'from m import *'), (tree) => importedModuleNames(tree.rootNode));
    assert.deepEqual(names, ['a', 'a.b', 'a.b.c', '.pkg', '.pkg.mod', '.pkg.other', '..', '..up', 'm']);
  });
});

describe('analyzeProject: a Keras model built in model.py, compiled in train.py', () => {
  const model = py(
    'from tensorflow import keras',
    'from tensorflow.keras import layers',
    '',
    'def build_model(vocab, units=64):',
    '    return keras.Sequential([',
    '        layers.Embedding(vocab, 32),',
    '        layers.Bidirectional(layers.LSTM(units)),',
    '        layers.Dense(1, activation="sigmoid"),',
    '    ])',
    '',
    'def build_dense(n):',
    '    return keras.Sequential([layers.Dense(n), layers.Dense(1, activation="sigmoid")])',
  );
  const train = (builder: string, optimizer = 'keras.optimizers.Adam(learning_rate=1e-3)') => py(
    'from tensorflow import keras',
    `from model import ${builder}`,
    '',
    `model = ${builder}(10000)`,
    `model.compile(optimizer=${optimizer}, loss="binary_crossentropy", metrics=["accuracy"])`,
    'model.fit(x_train, y_train, epochs=10, validation_split=0.2)',
  );
  const files = (builder: string, optimizer?: string) => ({ 'train.py': train(builder, optimizer), 'model.py': model });
  const run = (builder: string, optimizer?: string) => {
    const f = files(builder, optimizer);
    return analyzeProject(parser, { file: 'train.py', text: f['train.py'] }, resolverOf(f, { 'train.py': { model: 'model.py' } }));
  };

  test('the LSTM in build_model makes rnn-no-grad-clip report the optimizer in train.py, with clipnorm as the fix', () => {
    const result = run('build_model');
    const [clip] = (result.get('train.py') ?? []).filter((f) => f.id === 'rnn-no-grad-clip');
    const text = train('build_model');
    assert.equal(text.slice(clip.start, clip.end), 'keras.optimizers.Adam(learning_rate=1e-3)');
    assert.match(clip.message, /recurrent layer \(`layers\.LSTM`, model\.py line 7\)/);
    assert.deepEqual(clip.related.map((r) => [r.location.file, r.location.line, r.message]), [['model.py', 7, 'recurrent layer `layers.LSTM`']]);
    const fixed = applyEdits(text, clip.fixes[0].edits);
    assert.match(fixed, /keras\.optimizers\.Adam\(learning_rate=1e-3, clipnorm=1\.0\)/);
    assert.deepEqual(syntaxProblemsOf(parser, fixed), []);
    assert.deepEqual(ids(run('build_model', 'keras.optimizers.Adam(learning_rate=1e-3, clipnorm=1.0)').get('train.py'), 'rnn-no-grad-clip'), []);
  });

  test('a model built by a function without recurrent layers, or no resolver, gives nothing', () => {
    assert.deepEqual(ids(run('build_dense').get('train.py'), 'rnn-no-grad-clip'), []);
    assert.deepEqual(ids(analyzeCode(parser, train('build_model'), 'train.py'), 'rnn-no-grad-clip'), []);
  });
});

describe('analyzeProject: a LightningModule in model.py, the Trainer in train.py', () => {
  const model = (clipping = '') => py(
    'import torch.nn as nn',
    'import lightning as L',
    '',
    'class LitRNN(L.LightningModule):',
    '    def __init__(self):',
    '        super().__init__()',
    '        self.rnn = nn.LSTM(32, 64, batch_first=True)',
    '        self.head = nn.Linear(64, 2)',
    ...(clipping ? [clipping] : []),
    '    def training_step(self, batch, batch_idx):',
    '        x, y = batch',
    '        out, _ = self.rnn(x)',
    '        return nn.functional.cross_entropy(self.head(out[:, -1]), y)',
  );
  const train = (trainer = 'L.Trainer(max_epochs=20)') => py(
    'import lightning as L',
    'from model import LitRNN',
    '',
    'model = LitRNN()',
    `trainer = ${trainer}`,
    'trainer.fit(model, train_loader, val_loader)',
  );
  const run = (modelText: string, trainText: string) => {
    const files = { 'train.py': trainText, 'model.py': modelText };
    return analyzeProject(parser, { file: 'train.py', text: trainText }, resolverOf(files, { 'train.py': { model: 'model.py' } })).get('train.py') ?? [];
  };

  test('the LSTM of the LightningModule in model.py makes rnn-no-grad-clip report the Trainer, fixed with gradient_clip_val', () => {
    const [clip] = run(model(), train()).filter((f) => f.id === 'rnn-no-grad-clip');
    assert.equal(train().slice(clip.start, clip.end), 'L.Trainer(max_epochs=20)');
    assert.match(clip.message, /recurrent layer \(`nn\.LSTM`, model\.py line 7\)/);
    assert.deepEqual(clip.related.map((r) => [r.location.file, r.location.line]), [['model.py', 7]]);
    assert.equal(applyEdits(train(), clip.fixes[0].edits).split('\n')[4], 'trainer = L.Trainer(max_epochs=20, gradient_clip_val=1.0)');
  });

  test('nothing when the Trainer clips, or the module clips its own gradients', () => {
    assert.deepEqual(ids(run(model(), train('L.Trainer(max_epochs=20, gradient_clip_val=0.5)')), 'rnn-no-grad-clip'), []);
    const custom = model('    def configure_gradient_clipping(self, optimizer, gradient_clip_val=None, gradient_clip_algorithm=None):\n        self.clip_gradients(optimizer, gradient_clip_val=1.0)');
    assert.deepEqual(ids(run(custom, train()), 'rnn-no-grad-clip'), []);
  });
});

describe('readProjectFiles: local imports from disk', () => {
  const pkg = join(ROOT, 'test/fixtures/code/project_pkg');

  test('follows local imports relative to the file and the root, skips packages that are not there', async () => {
    const project = await readProjectFiles(parser, join(pkg, 'train.py'), { root: pkg });
    assert.deepEqual(project.files.map((f) => f.slice(pkg.length + 1)), [
      'models/__init__.py', 'models/heads.py', 'utils/seed.py', 'models/rnn.py',
    ]);
    assert.deepEqual(project.notes, []);
    assert.equal(project.resolve('numpy', join(pkg, 'train.py')), undefined);
    assert.equal(project.resolve('.heads', join(pkg, 'models/rnn.py'))?.file, join(pkg, 'models/heads.py'));
  });

  test('the sigmoid in models/rnn.py is reported there, without a fix (the loss is in train.py)', async () => {
    const project = await readProjectFiles(parser, join(pkg, 'train.py'), { root: pkg });
    const result = analyzeProject(parser, project.entry, project.resolve);
    const rnnFile = join(pkg, 'models/rnn.py');
    const found = result.get(rnnFile) ?? [];
    assert.deepEqual(found.map((f) => f.id), ['sigmoid-bce']);
    assert.equal(fixture('code/project_pkg/models/rnn.py').slice(found[0].start, found[0].end), 'torch.sigmoid(self.fc(out[:, -1]))');
    assert.deepEqual(found[0].fixes, []);
    assert.deepEqual(found[0].related.map((r) => [r.location.file, r.location.line]), [[join(pkg, 'train.py'), 17]]);
    assert.deepEqual(ids(result.get(project.entry.file), 'rnn-no-grad-clip'), [], 'train.py clips');
  });

  test('an unsaved text replaces the disk, and texts holds every file read', async () => {
    const rnnFile = join(pkg, 'models/rnn.py');
    const edited = fixture('code/project_pkg/models/rnn.py').replace('return torch.sigmoid(self.fc(out[:, -1]))', 'return self.fc(out[:, -1])');
    const project = await readProjectFiles(parser, join(pkg, 'train.py'), { root: pkg, overrides: new Map([[rnnFile, edited]]) });
    assert.equal(project.texts.get(rnnFile), edited);
    assert.equal(project.texts.get(join(pkg, 'train.py')), fixture('code/project_pkg/train.py'));
    assert.equal(analyzeProject(parser, project.entry, project.resolve).has(rnnFile), false);
  });

  test('never reads outside the root', async () => {
    const project = await readProjectFiles(parser, join(pkg, 'train.py'), { root: join(pkg, 'models') });
    assert.deepEqual(project.files.map((f) => f.slice(pkg.length + 1)), ['models/__init__.py', 'models/heads.py', 'models/rnn.py']);
    assert.equal(await findModule('..seed004_keras.train', join(pkg, 'models/rnn.py'), pkg), null);
    assert.equal(await findModule('.train', join(pkg, 'train.py'), pkg), join(pkg, 'train.py'));
  });

  test('caps the number of files and says so', async () => {
    const project = await readProjectFiles(parser, join(pkg, 'train.py'), { root: pkg, maxFiles: 2 });
    assert.deepEqual(project.files.map((f) => f.slice(pkg.length + 1)), ['models/__init__.py', 'models/heads.py']);
    assert.equal(project.notes.length, 2);
    assert.match(project.notes[0], /more than 2 local modules/);
  });

  test('caps the bytes read', async () => {
    const project = await readProjectFiles(parser, join(pkg, 'train.py'), { root: pkg, maxBytes: 40 });
    assert.deepEqual(project.files.map((f) => f.slice(pkg.length + 1)), ['models/heads.py']);
    assert.ok(project.notes.every((n) => n.includes('byte budget')));
  });
});

describe('displayPath', () => {
  test('names a file relative to the folder of the file that mentions it', () => {
    assert.equal(displayPath('/tmp/ws/proj/model.py', '/tmp/ws/proj/train.py'), 'model.py');
    assert.equal(displayPath('/tmp/ws/proj/models/rnn.py', '/tmp/ws/proj/train.py'), 'models/rnn.py');
    assert.equal(displayPath('/tmp/ws/lib/rnn.py', '/tmp/ws/proj/train.py'), '../lib/rnn.py');
    assert.equal(displayPath('C:\\w\\p\\model.py', 'C:\\w\\p\\train.py'), 'model.py');
    assert.equal(displayPath('proj/model.py', 'proj/train.py'), 'model.py');
    assert.equal(displayPath('D:\\x\\m.py', 'C:\\w\\t.py'), 'D:\\x\\m.py');
  });
});
