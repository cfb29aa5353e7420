import { codeFixture, crlf, py, ruleTable, type ReportCase } from './code-rule-table';

const RULE = 'loss-accumulates-graph';
const message = (statement: string, verb: 'adds' | 'appends', loss: string, target: string, loopLine: number): string =>
  `\`${statement}\` ${verb} the loss tensor \`${loss}\`, autograd graph included, to \`${target}\` on every iteration of the loop ` +
  `(line ${loopLine}); \`${target}\` keeps every batch's graph alive and memory grows until the loop ends`;

const FAQ = py(
  'import torch',
  'total_loss = 0',
  'for x, y in train_loader:',
  '    optimizer.zero_grad()',
  '    loss = criterion(model(x), y)',
  '    loss.backward()',
  '    optimizer.step()',
  '    total_loss += loss',
  'print(total_loss / len(train_loader))',
);

const APPEND = py(
  'import numpy as np',
  'losses = []',
  'for batch in loader:',
  '    loss = loss_fn(model(batch))',
  '    loss.backward()',
  '    opt.step()',
  '    opt.zero_grad()',
  '    losses.append(loss)',
  'print(np.mean(losses))',
);

const STACKED = APPEND.replace('print(np.mean(losses))', 'print(torch.stack(losses).mean())');

const WEIGHTED = py(
  'running = 0.0',
  'for x, y in train_loader:',
  '    loss = F.cross_entropy(model(x), y)',
  '    loss.backward()',
  '    optimizer.step()',
  '    optimizer.zero_grad()',
  '    running = running + loss * x.size(0)',
  'print(running.item() / n)',
);

const VALIDATION = crlf(py(
  'def validate(model, val_loader):',
  '\tval_loss = 0',
  '\tfor x, y in val_loader:',
  '\t\tval_loss += criterion(model(x), y)',
  '\tprint(val_loss)',
));

const UNREDUCED = py(
  'from torch import nn',
  'loss_fn = nn.CrossEntropyLoss(reduction="none")',
  'per_sample = []',
  'for x, y in train_loader:',
  '    out = model(x)',
  '    per_sample.append(loss_fn(out, y))',
  '    loss_fn(out, y).mean().backward()',
);

const mustReport: ReportCase[] = [
  {
    name: 'the PyTorch FAQ example: total_loss += loss → loss.item()',
    text: FAQ,
    at: 'loss', line: 8, column: 19, severity: 'warning',
    message: message('total_loss += loss', 'adds', 'loss', 'total_loss', 3),
    fix: { title: 'Accumulate `loss.item()` instead of the loss tensor', safe: true, fixed: FAQ.replace('total_loss += loss\n', 'total_loss += loss.item()\n') },
  },
  {
    name: 'losses.append(loss), used as numbers afterwards → loss.item()',
    text: APPEND,
    at: 'loss', line: 8, column: 19, severity: 'warning',
    message: message('losses.append(loss)', 'appends', 'loss', 'losses', 3),
    fix: { title: 'Accumulate `loss.item()` instead of the loss tensor', safe: true, fixed: APPEND.replace('losses.append(loss)', 'losses.append(loss.item())') },
  },
  {
    name: 'losses stacked as tensors afterwards → loss.detach()',
    text: STACKED,
    at: 'loss', line: 8, column: 19, severity: 'warning',
    message: message('losses.append(loss)', 'appends', 'loss', 'losses', 3),
    fix: { title: 'Accumulate `loss.detach()` instead of the loss tensor', safe: true, fixed: STACKED.replace('losses.append(loss)', 'losses.append(loss.detach())') },
  },
  {
    name: 'total = total + loss * batch size, total used as a tensor afterwards → loss.detach()',
    text: WEIGHTED,
    at: 'loss * x.size(0)', line: 7, column: 25, severity: 'warning',
    message: message('running = running + loss * x.size(0)', 'adds', 'loss', 'running', 2),
    fix: {
      title: 'Accumulate `loss.detach()` instead of the loss tensor',
      safe: true,
      fixed: WEIGHTED.replace('running + loss * x.size(0)', 'running + loss.detach() * x.size(0)'),
    },
  },
  {
    name: 'validation without no_grad, a loss call added directly, tabs, CRLF',
    text: VALIDATION,
    at: 'criterion(model(x), y)', line: 4, column: 15, severity: 'warning',
    message: message('val_loss += criterion(model(x), y)', 'adds', 'criterion(model(x), y)', 'val_loss', 3),
    fix: {
      title: 'Accumulate `criterion(model(x), y).item()` instead of the loss tensor',
      safe: true,
      fixed: VALIDATION.replace('val_loss += criterion(model(x), y)', 'val_loss += criterion(model(x), y).item()'),
    },
  },
  {
    name: "reduction='none': one loss per sample, so detach rather than item",
    text: UNREDUCED,
    at: 'loss_fn(out, y)', line: 6, column: 23, severity: 'warning',
    message: message('per_sample.append(loss_fn(out, y))', 'appends', 'loss_fn(out, y)', 'per_sample', 4),
    fix: {
      title: 'Accumulate `loss_fn(out, y).detach()` instead of the loss tensor',
      safe: true,
      fixed: UNREDUCED.replace('per_sample.append(loss_fn(out, y))', 'per_sample.append(loss_fn(out, y).detach())'),
    },
  },
];

ruleTable(RULE, mustReport, [
  { name: 'seed 000: loss.item() already', text: codeFixture('seed000_gru_train.py') },
  { name: 'loss.detach() already', text: FAQ.replace('total_loss += loss\n', 'total_loss += loss.detach()\n') },
  { name: 'validation under torch.no_grad()', text: VALIDATION.replace('\tfor x, y in val_loader:\r\n\t\t', '\twith torch.no_grad():\r\n\t\tfor x, y in val_loader:\r\n\t\t\t') },
  {
    name: 'a function decorated with @torch.no_grad()',
    text: py('import torch', '@torch.no_grad()', 'def validate():', '    total = 0', '    for x, y in val_loader:', '        total += criterion(model(x), y)', '    print(total)'),
  },
  {
    name: 'a per-batch sum over heads that is then differentiated',
    text: py(
      'for x, y in train_loader:',
      '    loss = 0',
      '    for head in heads:',
      '        loss += criterion(head(x), y)',
      '    loss.backward()',
      '    optimizer.step()',
    ),
  },
  {
    name: 'auxiliary losses summed, then backward on the sum',
    text: py(
      'total = 0',
      'for x, y in train_loader:',
      '    loss = criterion(model(x), y)',
      '    total = total + loss',
      'total.backward()',
    ),
  },
  {
    name: 'losses stacked and differentiated',
    text: py('losses = []', 'for x in loader:', '    losses.append(loss_fn(model(x)))', 'torch.stack(losses).mean().backward()'),
  },
  {
    name: 'a sum returned to the caller',
    text: py('def total_loss(batches):', '    total = 0', '    for b in batches_loader:', '        total += criterion(b)', '    return total'),
  },
  { name: 'counts and sizes, not losses', text: FAQ.replace('total_loss += loss\n', 'total_loss += y.size(0)\n') },
  {
    name: 'a loss computed under no_grad and accumulated outside it',
    text: py(
      'import torch',
      'total = 0',
      'for x, y in val_loader:',
      '    with torch.no_grad():',
      '        loss = criterion(model(x), y)',
      '    total += loss',
    ),
  },
]);
