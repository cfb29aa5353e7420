import { crlf, py, ruleTable, type ReportCase } from './code-rule-table';

const RULE = 'missing-zero-grad';
const message = (step: string, backward: string, loopLine: number): string =>
  `\`${step}\` follows \`${backward}\` in this loop (line ${loopLine}) but nothing in it calls \`zero_grad()\`; ` +
  "gradients add up across iterations, so each step uses the sum of every earlier batch's gradients";

const BASIC = py(
  'import torch',
  'model = Net()',
  'optimizer = torch.optim.SGD(model.parameters(), lr=0.1)',
  'for x, y in train_loader:',
  '    loss = criterion(model(x), y)',
  '    loss.backward()',
  '    optimizer.step()  # update',
  '    print(loss.item())',
);

const ACCUMULATION = crlf(py(
  'from torch import optim',
  'opt = optim.AdamW(net.parameters())',
  'for i, batch in enumerate(loader):',
  '\tloss = net(batch).mean() / 4',
  '\tloss.backward()',
  '\tif (i + 1) % 4 == 0:',
  '\t\topt.step()',
));

const SCALER = py(
  'import torch',
  'optimizer = torch.optim.Adam(model.parameters())',
  'scaler = torch.cuda.amp.GradScaler()',
  'def fit(epochs):',
  '    for epoch in range(epochs):',
  '        for x, y in loader:',
  '            with torch.autocast("cuda"):',
  '                loss = criterion(model(x), y)',
  '            scaler.scale(loss).backward()',
  '            scaler.step(optimizer)',
  '            scaler.update()',
);

const TRAINER = py(
  'class Trainer:',
  '    def fit(self):',
  '        for batch in self.train_loader:',
  '            self.model(batch).sum().backward()',
  '            self.optim.step()',
  '            self.log()',
);

const mustReport: ReportCase[] = [
  {
    name: 'plain loop, trailing comment on the step: zero_grad inserted on the next line',
    text: BASIC,
    at: 'optimizer.step()', line: 7, column: 5, severity: 'warning',
    message: message('optimizer.step()', 'loss.backward()', 4),
    fix: {
      title: 'Clear gradients after each step: `optimizer.zero_grad()`',
      safe: false,
      fixed: BASIC.replace('    optimizer.step()  # update\n', '    optimizer.step()  # update\n    optimizer.zero_grad()\n'),
    },
  },
  {
    name: 'gradient accumulation with the step in an `if`, tabs, CRLF: zero_grad goes inside the `if`',
    text: ACCUMULATION,
    at: 'opt.step()', line: 7, column: 3, severity: 'warning',
    message: message('opt.step()', 'loss.backward()', 3),
    fix: {
      title: 'Clear gradients after each step: `opt.zero_grad()`',
      safe: false,
      fixed: `${ACCUMULATION}\t\topt.zero_grad()\r\n`,
    },
  },
  {
    name: 'GradScaler: the optimizer is the argument of scaler.step, zero_grad before scaler.update()',
    text: SCALER,
    at: 'scaler.step(optimizer)', line: 10, column: 13, severity: 'warning',
    message: message('scaler.step(optimizer)', 'scaler.scale(loss).backward()', 6),
    fix: {
      title: 'Clear gradients after each step: `optimizer.zero_grad()`',
      safe: false,
      fixed: SCALER.replace('            scaler.update()\n', '            optimizer.zero_grad()\n            scaler.update()\n'),
    },
  },
  {
    name: 'an optimizer built elsewhere but named like one, in a method',
    text: TRAINER,
    at: 'self.optim.step()', line: 5, column: 13, severity: 'warning',
    message: message('self.optim.step()', 'self.model(batch).sum().backward()', 3),
    fix: {
      title: 'Clear gradients after each step: `self.optim.zero_grad()`',
      safe: false,
      fixed: TRAINER.replace('            self.log()', '            self.optim.zero_grad()\n            self.log()'),
    },
  },
  {
    name: 'step and another call on one line: no fix',
    text: py('import torch', 'opt = torch.optim.SGD(m.parameters(), lr=1)', 'while True:', '    m(x).sum().backward()', '    opt.step(); sched.step()'),
    at: 'opt.step()', line: 5, column: 5, severity: 'warning',
    message: message('opt.step()', 'm(x).sum().backward()', 3),
    fix: null,
  },
  {
    name: 'the step on the file\'s last line without a newline',
    text: 'import torch\nopt = torch.optim.SGD(m.parameters(), lr=1)\nfor x in loader:\n    m(x).sum().backward()\n    opt.step()',
    at: 'opt.step()', line: 5, column: 5, severity: 'warning',
    message: message('opt.step()', 'm(x).sum().backward()', 3),
    fix: {
      title: 'Clear gradients after each step: `opt.zero_grad()`',
      safe: false,
      fixed: 'import torch\nopt = torch.optim.SGD(m.parameters(), lr=1)\nfor x in loader:\n    m(x).sum().backward()\n    opt.step()\n    opt.zero_grad()\n',
    },
  },
];

ruleTable(RULE, mustReport, [
  { name: 'optimizer.zero_grad() at the top of the loop', text: BASIC.replace('    loss = criterion', '    optimizer.zero_grad()\n    loss = criterion') },
  { name: 'model.zero_grad(set_to_none=True) after the step', text: `${BASIC}    model.zero_grad(set_to_none=True)\n` },
  {
    name: 'gradients set to None by hand',
    text: `${BASIC}    for p in model.parameters():\n        p.grad = None\n`,
  },
  { name: 'p.grad.data.zero_()', text: `${BASIC}    for p in model.parameters():\n        p.grad.data.zero_()\n` },
  {
    name: 'zero_grad in the outer loop (per-epoch accumulation may be deliberate)',
    text: py(
      'import torch',
      'optimizer = torch.optim.SGD(model.parameters(), lr=0.1)',
      'for epoch in range(3):',
      '    optimizer.zero_grad()',
      '    for x in loader:',
      '        model(x).sum().backward()',
      '        optimizer.step()',
    ),
  },
  {
    name: 'zero_grad in a helper the loop calls',
    text: py(
      'import torch',
      'optimizer = torch.optim.SGD(model.parameters(), lr=0.1)',
      'def reset():',
      '    optimizer.zero_grad()',
      'for x in loader:',
      '    reset()',
      '    model(x).sum().backward()',
      '    optimizer.step()',
    ),
  },
  {
    name: 'only a scheduler steps in the loop; an RL environment steps',
    text: py(
      'import torch',
      'scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 10)',
      'for x in loader:',
      '    model(x).sum().backward()',
      '    scheduler.step()',
      '    obs, reward, done, info = env.step(action)',
    ),
  },
  {
    name: 'LBFGS closure: backward inside the closure, zero_grad too',
    text: py(
      'import torch',
      'optimizer = torch.optim.LBFGS(model.parameters())',
      'for x, y in loader:',
      '    def closure():',
      '        optimizer.zero_grad()',
      '        loss = criterion(model(x), y)',
      '        loss.backward()',
      '        return loss',
      '    optimizer.step(closure)',
    ),
  },
  {
    name: 'backward per batch and one step after the loop',
    text: py(
      'import torch',
      'optimizer = torch.optim.SGD(model.parameters(), lr=0.1)',
      'for x in loader:',
      '    model(x).sum().backward()',
      'optimizer.step()',
    ),
  },
]);
