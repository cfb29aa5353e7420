import { crlf, py, ruleTables, tabs, type NoReportCase, type ReportCase } from './code-rule-tables';

const INLINE = py(
  'import torch',
  'import torch.nn as nn',
  'criterion = nn.BCELoss()',
  'for x, y in loader:',
  '    optimizer.zero_grad()',
  '    loss = criterion(torch.sigmoid(model(x)), y)',
  '    loss.backward()',
  '    optimizer.step()',
);

const FORWARD = py(
  'import torch',
  'import torch.nn as nn',
  '',
  'class Detector(nn.Module):',
  '    def __init__(self):',
  '        super().__init__()',
  '        self.body = nn.Linear(32, 1)',
  '    def forward(self, x):',
  '        return torch.sigmoid(self.body(x))',
  '',
  'net = Detector()',
  'criterion = nn.BCELoss(reduction="sum")',
  'for x, y in train_loader:',
  '    loss = criterion(net(x), y)',
  '    loss.backward()',
  'with torch.no_grad():',
  '    for x, y in val_loader:',
  '        val_loss = criterion(net(x), y)',
);

const SEQUENTIAL = py(
  'from torch import nn',
  'model = nn.Sequential(nn.Linear(10, 1), nn.Sigmoid())',
  'loss_fn = nn.BCELoss()',
  'for x, y in loader:',
  '    loss_fn(model(x), y).backward()',
);

const mustReport: ReportCase[] = [
  {
    name: 'sigmoid inline in the BCELoss call: safe fix to BCEWithLogitsLoss on the logits',
    text: INLINE,
    at: 'torch.sigmoid(model(x))',
    line: 6,
    message:
      '`nn.BCELoss` (line 6) receives the output of `torch.sigmoid(model(x))`; computing the log of a saturated sigmoid loses ' +
      'precision (outputs round to 0 or 1 and the loss clamps), while `BCEWithLogitsLoss` on the logits computes the same loss stably',
    fix: {
      title: 'Use `BCEWithLogitsLoss` on the logits',
      safe: true,
      text: INLINE.replace('nn.BCELoss()', 'nn.BCEWithLogitsLoss()').replace('torch.sigmoid(model(x))', 'model(x)'),
    },
  },
  {
    name: 'the same with tabs and CRLF',
    text: crlf(tabs(INLINE)),
    at: 'torch.sigmoid(model(x))',
    line: 6,
    fix: {
      title: 'Use `BCEWithLogitsLoss` on the logits',
      safe: true,
      text: crlf(tabs(INLINE)).replace('nn.BCELoss()', 'nn.BCEWithLogitsLoss()').replace('torch.sigmoid(model(x))', 'model(x)'),
    },
  },
  {
    name: 'sigmoid in the forward, one criterion for train and validation: unsafe fix, keyword arguments kept',
    text: FORWARD,
    at: 'torch.sigmoid(self.body(x))',
    line: 9,
    fix: {
      title: 'Use `BCEWithLogitsLoss` on the logits; the model returns logits',
      safe: false,
      text: FORWARD.replace('return torch.sigmoid(self.body(x))', 'return self.body(x)').replace('nn.BCELoss(reduction="sum")', 'nn.BCEWithLogitsLoss(reduction="sum")'),
    },
  },
  {
    name: 'model outputs also thresholded for accuracy: finding without a fix',
    text: FORWARD.replace('        val_loss = criterion(net(x), y)\n', '        out = net(x)\n        val_loss = criterion(out, y)\n        acc = ((out > 0.5) == y).float().mean()\n'),
    at: 'torch.sigmoid(self.body(x))',
    line: 9,
    fix: null,
  },
  {
    name: 'functional binary_cross_entropy: safe fix to the _with_logits form',
    text: py('import torch', 'import torch.nn.functional as F', 'loss = F.binary_cross_entropy(torch.sigmoid(logits), target, weight=w)'),
    at: 'torch.sigmoid(logits)',
    line: 3,
    fix: {
      title: 'Use `BCEWithLogitsLoss` on the logits',
      safe: true,
      text: py('import torch', 'import torch.nn.functional as F', 'loss = F.binary_cross_entropy_with_logits(logits, target, weight=w)'),
    },
  },
  {
    name: 'a sigmoid before BCEWithLogitsLoss (a double sigmoid): safe fix removes it',
    text: py('import torch.nn as nn', 'crit = nn.BCEWithLogitsLoss(pos_weight=pw)', 'loss = crit(scores.sigmoid(), labels)'),
    at: 'scores.sigmoid()',
    line: 3,
    message:
      'the output of `scores.sigmoid()` is passed to `nn.BCEWithLogitsLoss` (line 3), which applies the sigmoid itself; the double ' +
      'sigmoid squashes the logits into (0.5, 0.73) and the model cannot fit its targets',
    fix: {
      title: 'Pass the logits to the loss (remove the sigmoid)',
      safe: true,
      text: py('import torch.nn as nn', 'crit = nn.BCEWithLogitsLoss(pos_weight=pw)', 'loss = crit(scores, labels)'),
    },
  },
  {
    name: 'nn.Sigmoid closing an nn.Sequential: unsafe fix drops it and renames the loss',
    text: SEQUENTIAL,
    at: 'nn.Sigmoid()',
    line: 2,
    fix: {
      title: 'Use `BCEWithLogitsLoss` on the logits; the model returns logits',
      safe: false,
      text: SEQUENTIAL.replace('nn.Sequential(nn.Linear(10, 1), nn.Sigmoid())', 'nn.Sequential(nn.Linear(10, 1))').replace('nn.BCELoss()', 'nn.BCEWithLogitsLoss()'),
    },
  },
  {
    name: 'BCELoss imported bare: finding without a fix (the new name would need an import)',
    text: py('import torch', 'from torch.nn import BCELoss', 'criterion = BCELoss()', 'loss = criterion(torch.sigmoid(z), y)'),
    at: 'torch.sigmoid(z)',
    line: 4,
    fix: null,
  },
  {
    name: 'the criterion also scores probabilities from elsewhere: finding without a fix',
    text: py('import torch', 'import torch.nn as nn', 'criterion = nn.BCELoss()', 'a = criterion(torch.sigmoid(z), y)', 'b = criterion(teacher_probs, y)'),
    at: 'torch.sigmoid(z)',
    line: 4,
    fix: null,
  },
];

const mustNotReport: NoReportCase[] = [
  { name: 'BCEWithLogitsLoss on logits', text: py('import torch.nn as nn', 'loss = nn.BCEWithLogitsLoss()(model(x), y)') },
  { name: 'BCELoss on probabilities from a parameter', text: py('import torch.nn as nn', 'def score(probs, y):', '    return nn.BCELoss()(probs, y)') },
  { name: 'sigmoid into MSELoss', text: py('import torch', 'import torch.nn as nn', 'loss = nn.MSELoss()(torch.sigmoid(z), y)') },
  { name: 'forward returns logits', text: FORWARD.replace('return torch.sigmoid(self.body(x))', 'return self.body(x)') },
];

ruleTables('sigmoid-bce', 'warning', mustReport, mustNotReport);
