import { codeFixture, crlf, py, ruleTable, type ReportCase } from './code-rule-table';

const RULE = 'eval-mode-leak';
const message = (call: string, loopLine: number, model: string): string =>
  `\`${call}\` runs inside the epoch loop (line ${loopLine}) and nothing in that loop calls \`${model}.train()\`; ` +
  'from the second epoch on, training runs with dropout off and batch-norm statistics frozen';

const CLASSIC = py(
  'import torch',
  'model = Net().to(device)',
  'optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)',
  'for epoch in range(num_epochs):',
  '    for x, y in train_loader:',
  '        optimizer.zero_grad()',
  '        loss = criterion(model(x), y)',
  '        loss.backward()',
  '        optimizer.step()',
  '    model.eval()',
  '    with torch.no_grad():',
  '        for x, y in val_loader:',
  '            val_loss += criterion(model(x), y).item()',
);

const HELPER = crlf(py(
  'import torch',
  'params = list(net.parameters())',
  'opt = torch.optim.SGD(params, lr=0.1)',
  'def train_one_epoch(net, loader):',
  '\tfor x, y in loader:',
  '\t\topt.zero_grad()',
  '\t\tcriterion(net(x), y).backward()',
  '\t\topt.step()',
  'for epoch in range(10):',
  '\t# one epoch of training, then maybe a check',
  '\ttrain_one_epoch(net, train_loader)',
  '\tif epoch % 5 == 0:',
  '\t\tnet.eval()',
  '\t\tevaluate(net)',
));

const CLASS = py(
  'import torch',
  'class Trainer:',
  '    def __init__(self, model):',
  '        self.model = model',
  '        self.opt = torch.optim.AdamW(self.model.parameters())',
  '    def fit(self, epochs):',
  '        for epoch in range(epochs):',
  '            for batch in self.train_loader:',
  '                self.opt.zero_grad()',
  '                self.model(batch).loss.backward()',
  '                self.opt.step()',
  '            self.model.eval()',
  '            self.validate()',
);

const mustReport: ReportCase[] = [
  {
    name: 'eval for validation at the end of each epoch, train() never called',
    text: CLASSIC,
    at: 'model.eval()', line: 10, column: 5, severity: 'warning',
    message: message('model.eval()', 4, 'model'),
    fix: {
      title: 'Switch back to training mode at the start of each epoch: `model.train()`',
      safe: false,
      fixed: CLASSIC.replace('    for x, y in train_loader:\n', '    model.train()\n    for x, y in train_loader:\n'),
    },
  },
  {
    name: 'training in a helper, eval under an if, optimizer from a params list, tabs, CRLF, a leading comment',
    text: HELPER,
    at: 'net.eval()', line: 13, column: 3, severity: 'warning',
    message: message('net.eval()', 9, 'net'),
    fix: {
      title: 'Switch back to training mode at the start of each epoch: `net.train()`',
      safe: false,
      fixed: HELPER.replace('\ttrain_one_epoch(net, train_loader)\r\n', '\tnet.train()\r\n\ttrain_one_epoch(net, train_loader)\r\n'),
    },
  },
  {
    name: 'self.model in a trainer class',
    text: CLASS,
    at: 'self.model.eval()', line: 12, column: 13, severity: 'warning',
    message: message('self.model.eval()', 7, 'self.model'),
    fix: {
      title: 'Switch back to training mode at the start of each epoch: `self.model.train()`',
      safe: false,
      fixed: CLASS.replace('            for batch in self.train_loader:\n', '            self.model.train()\n            for batch in self.train_loader:\n'),
    },
  },
  {
    name: 'train(False) does not switch back',
    text: CLASSIC.replace('    model.eval()\n', '    model.eval()\n    model.train(False)\n'),
    at: 'model.eval()', line: 10, column: 5, severity: 'warning',
    message: message('model.eval()', 4, 'model'),
    fix: {
      title: 'Switch back to training mode at the start of each epoch: `model.train()`',
      safe: false,
      fixed: CLASSIC.replace('    for x, y in train_loader:\n', '    model.train()\n    for x, y in train_loader:\n')
        .replace('    model.eval()\n', '    model.eval()\n    model.train(False)\n'),
    },
  },
];

ruleTable(RULE, mustReport, [
  { name: 'seed 000: model.train() at the top of the epoch loop', text: codeFixture('seed000_gru_train.py') },
  { name: 'model.train() after validation', text: `${CLASSIC}    model.train()\n` },
  { name: 'model.train(mode=True)', text: `${CLASSIC}    model.train(mode=True)\n` },
  {
    name: 'the helper switches to training mode itself',
    text: HELPER.replace('\tfor x, y in loader:\r\n', '\tnet.train()\r\n\tfor x, y in loader:\r\n'),
  },
  { name: 'a frozen teacher switched to eval each epoch', text: CLASSIC.replace('    model.eval()\n', '    teacher.eval()\n') },
  { name: 'eval once after training', text: CLASSIC.replace('    model.eval()\n', 'model.eval()\n').replace('    with torch.no_grad():\n', 'with torch.no_grad():\n') },
  {
    name: 'an evaluation-only loop over checkpoints',
    text: py(
      'import torch',
      'optimizer = torch.optim.Adam(model.parameters())',
      'for path in checkpoints:',
      '    model.load_state_dict(torch.load(path))',
      '    model.eval()',
      '    score(model)',
    ),
  },
  { name: 'no optimizer in sight: the model might be anyone\'s', text: CLASSIC.replace('optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)\n', '') },
]);
