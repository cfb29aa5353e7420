import { codeFixture, crlf, py, ruleTable, type ReportCase } from './code-rule-table';

const RULE = 'no-grad-inside-loop';
const message = (manager: string, iterable: string, line: number): string =>
  `\`with ${manager}:\` is entered once per batch inside the loop over \`${iterable}\` (line ${line}); ` +
  'wrapping the whole loop in it once does the same work and shows that nothing in the loop needs gradients';

const TABS = crlf(py(
  'import torch',
  'def evaluate(model, val_loader):',
  '\tmodel.eval()',
  '\ttotal = 0.0',
  '\tfor x, y in tqdm(val_loader, desc="val"):  # one pass',
  '\t\twith torch.no_grad():',
  '\t\t\tloss = criterion(model(x), y)',
  '\t\t\ttotal += loss.item()',
  '\treturn total',
));

const OTHERS = py(
  'import torch',
  'correct = seen = 0',
  'for step, (x, y) in enumerate(val_loader):',
  '    x = x.to(device)  # move',
  '    with torch.no_grad():',
  '        out = model(x)',
  '        # keep',
  '        correct += (out.argmax(1) == y).sum().item()',
  '',
  '    seen += len(y)',
  'print(correct / seen)',
);

const mustReport: ReportCase[] = [
  {
    name: 'seed 000: inference_mode entered per batch of the validation loop (safe: the with is the whole body)',
    text: codeFixture('seed000_resume_loop.py'),
    at: 'torch.inference_mode()', line: 35, column: 14, severity: 'info',
    message: message('torch.inference_mode()', 'validation_dataloader', 34),
    fix: {
      title: 'Wrap the whole loop in `with torch.inference_mode():`',
      safe: true,
      fixed: codeFixture('seed000_resume_loop.no-grad-fixed.py'),
    },
  },
  {
    name: 'tabs, CRLF, a comment after the loop header, tqdm around the loader, inside a function',
    text: TABS,
    at: 'torch.no_grad()', line: 6, column: 8, severity: 'info',
    message: message('torch.no_grad()', 'tqdm(val_loader, desc="val")', 5),
    fix: {
      title: 'Wrap the whole loop in `with torch.no_grad():`',
      safe: true,
      fixed: crlf(py(
        'import torch',
        'def evaluate(model, val_loader):',
        '\tmodel.eval()',
        '\ttotal = 0.0',
        '\twith torch.no_grad():',
        '\t\tfor x, y in tqdm(val_loader, desc="val"):  # one pass',
        '\t\t\tloss = criterion(model(x), y)',
        '\t\t\ttotal += loss.item()',
        '\treturn total',
      )),
    },
  },
  {
    name: 'other statements in the loop move under no_grad, re-indented (unsafe), blank line and comment kept',
    text: OTHERS,
    at: 'torch.no_grad()', line: 5, column: 10, severity: 'info',
    message: message('torch.no_grad()', 'enumerate(val_loader)', 3),
    fix: {
      title: 'Wrap the whole loop in `with torch.no_grad():`',
      safe: false,
      fixed: py(
        'import torch',
        'correct = seen = 0',
        'with torch.no_grad():',
        '    for step, (x, y) in enumerate(val_loader):',
        '        x = x.to(device)  # move',
        '        out = model(x)',
        '        # keep',
        '        correct += (out.argmax(1) == y).sum().item()',
        '',
        '        seen += len(y)',
        'print(correct / seen)',
      ),
    },
  },
  {
    name: 'uneven indentation steps (2 for the loop, 4 for the with): the loop body takes the with body\'s',
    text: py(
      'from torch import inference_mode',
      'test_loader = DataLoader(test_set, batch_size=64)',
      'for batch in test_loader:',
      '  # evaluate one batch',
      '  with inference_mode():',
      '      preds.append(net(batch["x"]))',
      '  n += 1',
    ),
    at: 'inference_mode()', line: 5, column: 8, severity: 'info',
    message: message('inference_mode()', 'test_loader', 3),
    fix: {
      title: 'Wrap the whole loop in `with inference_mode():`',
      safe: false,
      fixed: py(
        'from torch import inference_mode',
        'test_loader = DataLoader(test_set, batch_size=64)',
        'with inference_mode():',
        '  for batch in test_loader:',
        '      # evaluate one batch',
        '      preds.append(net(batch["x"]))',
        '      n += 1',
      ),
    },
  },
  {
    name: 'a Lightning-style `self.val_dataloader()` call, last line without a newline',
    text: 'import torch\nfor x in self.val_dataloader():\n    with torch.no_grad():\n        self.log_metrics(x)',
    at: 'torch.no_grad()', line: 3, column: 10, severity: 'info',
    message: message('torch.no_grad()', 'self.val_dataloader()', 2),
    fix: {
      title: 'Wrap the whole loop in `with torch.no_grad():`',
      safe: true,
      fixed: 'import torch\nwith torch.no_grad():\n    for x in self.val_dataloader():\n        self.log_metrics(x)',
    },
  },
  {
    name: 'a multi-line string among the other statements: reported without a fix',
    text: py(
      'import torch',
      'for x in loader:',
      '    note = """batch',
      '    done"""',
      '    with torch.no_grad():',
      '        y = model(x)',
    ),
    at: 'torch.no_grad()', line: 5, column: 10, severity: 'info',
    message: message('torch.no_grad()', 'loader', 2),
    fix: null,
  },
  {
    name: 'a loop with an else clause: reported without a fix',
    text: py(
      'import torch',
      'for x in loader:',
      '    with torch.no_grad():',
      '        y = model(x)',
      'else:',
      '    done = True',
    ),
    at: 'torch.no_grad()', line: 3, column: 10, severity: 'info',
    message: message('torch.no_grad()', 'loader', 2),
    fix: null,
  },
];

ruleTable(RULE, mustReport, [
  { name: 'seed 000 as fixed: the with wraps the loop', text: codeFixture('seed000_resume_loop.no-grad-fixed.py') },
  {
    name: 'a training loop computing a metric under no_grad (hoisting would stop training)',
    text: py(
      'import torch',
      'for x, y in train_loader:',
      '    optimizer.zero_grad()',
      '    loss = criterion(model(x), y)',
      '    loss.backward()',
      '    optimizer.step()',
      '    with torch.no_grad():',
      '        acc = (model(x).argmax(1) == y).float().mean()',
    ),
  },
  {
    name: 'a training step through a helper of the same file',
    text: py(
      'import torch',
      'def train_step(batch):',
      '    loss = model(batch).mean()',
      '    loss.backward()',
      '    optimizer.step()',
      'for batch in loader:',
      '    train_step(batch)',
      '    with torch.no_grad():',
      '        ema.update(model)',
    ),
  },
  {
    name: 'a loop over parameters, not a data loader',
    text: py('import torch', 'for p in model.parameters():', '    with torch.no_grad():', '        p.mul_(0.9)'),
  },
  {
    name: 'other context managers, several items, an alias, or arguments',
    text: py(
      'import torch',
      'for x in loader:',
      '    with torch.enable_grad():',
      '        a = f(x)',
      '    with torch.no_grad(), autocast():',
      '        b = f(x)',
      '    with torch.inference_mode(False):',
      '        c = f(x)',
      '    with torch.no_grad() as ctx:',
      '        d = f(x)',
    ),
  },
  {
    name: 'no_grad nested deeper than a direct statement of the loop',
    text: py('import torch', 'for x in loader:', '    if x is not None:', '        with torch.no_grad():', '            y = f(x)'),
  },
]);
