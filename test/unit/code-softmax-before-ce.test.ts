import { crlf, py, ruleTables, tabs, type NoReportCase, type ReportCase } from './code-rule-tables';

const TAIL = 'which applies log-softmax itself; the double softmax squashes the logits and flattens the gradients, so training stalls';

const MODEL_FORWARD = py(
  'import torch',
  'import torch.nn as nn',
  'import torch.nn.functional as F',
  '',
  'class Net(nn.Module):',
  '    def __init__(self):',
  '        super().__init__()',
  '        self.fc = nn.Linear(16, 4)',
  '',
  '    def forward(self, x):',
  '        logits = self.fc(x)',
  '        return F.softmax(logits, dim=1)',
  '',
  'model = Net().to("cuda")',
  'criterion = nn.CrossEntropyLoss()',
  'optimizer = torch.optim.SGD(model.parameters(), lr=0.1)',
  'for x, y in loader:',
  '    optimizer.zero_grad()',
  '    out = model(x)',
  '    loss = criterion(out, y)',
  '    loss.backward()',
  '    optimizer.step()',
  '    acc = (out.argmax(dim=1) == y).float().mean()',
);

const INLINE = py(
  'import torch.nn as nn',
  'import torch.nn.functional as F',
  'criterion = nn.CrossEntropyLoss(label_smoothing=0.1)',
  'def step(net, x, y):',
  '    loss = criterion(F.softmax(net(x), dim=1), y)',
  '    return loss',
);

const VARIABLE = py(
  'import torch',
  'import torch.nn.functional as F',
  'def evaluate(net, x, y):',
  '    probs = torch.softmax(net(x), dim=-1)',
  '    loss = F.cross_entropy(probs, y)',
  '    return loss.item(), probs.argmax(-1)',
);

const SEQUENTIAL = py(
  'import torch',
  'from torch import nn',
  'model = nn.Sequential(',
  '    nn.Linear(784, 128),',
  '    nn.ReLU(),',
  '    nn.Linear(128, 10),',
  '    nn.Softmax(dim=1),',
  ')',
  'loss_fn = nn.CrossEntropyLoss()',
  'for x, y in loader:',
  '    loss = loss_fn(model(x), y)',
  '    loss.backward()',
);

const SELF_MODULE = py(
  'import torch.nn as nn',
  'class Head(nn.Module):',
  '    def __init__(self):',
  '        super().__init__()',
  '        self.fc = nn.Linear(8, 3)',
  '        self.softmax = nn.Softmax(dim=1)',
  '    def forward(self, x):',
  '        return self.softmax(self.fc(x))',
  'head = Head()',
  'criterion = nn.CrossEntropyLoss()',
  'for x, y in data:',
  '    criterion(head(x), y).backward()',
);

const KERAS = py(
  'from tensorflow import keras',
  'model = keras.Sequential([',
  '    keras.layers.Dense(64, activation="relu"),',
  '    keras.layers.Dense(10, activation="softmax"),',
  '])',
  'model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])',
  'model.fit(x_train, y_train, epochs=5)',
);

const KERAS_FUNCTIONAL = py(
  'import tensorflow as tf',
  'from tensorflow.keras import layers',
  'inputs = tf.keras.Input(shape=(32,))',
  'x = layers.Dense(64, activation="relu")(inputs)',
  'outputs = layers.Dense(3, activation="softmax")(x)',
  'model = tf.keras.Model(inputs, outputs)',
  'loss_fn = tf.keras.losses.CategoricalCrossentropy(from_logits=True)',
  'model.compile(optimizer="adam", loss=loss_fn)',
);

const mustReport: ReportCase[] = [
  {
    name: 'softmax in the forward of a model class, CrossEntropyLoss in the loop, argmax accuracy: unsafe fix',
    text: MODEL_FORWARD,
    at: 'F.softmax(logits, dim=1)',
    line: 12,
    message: `the output of \`F.softmax(logits, dim=1)\` is passed to \`nn.CrossEntropyLoss\` (line 20), ${TAIL}`,
    fix: {
      title: 'Return logits from the model (remove the softmax; callers get logits)',
      safe: false,
      text: MODEL_FORWARD.replace('return F.softmax(logits, dim=1)', 'return logits'),
    },
  },
  {
    name: 'the same with tabs and CRLF',
    text: crlf(tabs(MODEL_FORWARD)),
    at: 'F.softmax(logits, dim=1)',
    line: 12,
    fix: {
      title: 'Return logits from the model (remove the softmax; callers get logits)',
      safe: false,
      text: crlf(tabs(MODEL_FORWARD)).replace('return F.softmax(logits, dim=1)', 'return logits'),
    },
  },
  {
    name: 'model outputs also printed: finding without a fix',
    text: MODEL_FORWARD.replace('    acc = (out.argmax(dim=1) == y).float().mean()\n', '    print(out[0])\n'),
    at: 'F.softmax(logits, dim=1)',
    line: 12,
    fix: null,
  },
  {
    name: 'softmax inline in the loss call: safe fix',
    text: INLINE,
    at: 'F.softmax(net(x), dim=1)',
    line: 5,
    message: `the output of \`F.softmax(net(x), dim=1)\` is passed to \`nn.CrossEntropyLoss\` (line 5), ${TAIL}`,
    fix: { title: 'Pass the logits to the loss (remove the softmax)', safe: true, text: INLINE.replace('F.softmax(net(x), dim=1)', 'net(x)') },
  },
  {
    name: 'softmax through a variable also read by argmax: safe fix',
    text: VARIABLE,
    at: 'torch.softmax(net(x), dim=-1)',
    line: 4,
    fix: { title: 'Pass the logits to the loss (remove the softmax)', safe: true, text: VARIABLE.replace('torch.softmax(net(x), dim=-1)', 'net(x)') },
  },
  {
    name: 'softmax through a variable that is also returned: finding without a fix',
    text: VARIABLE.replace('probs.argmax(-1)', 'probs'),
    at: 'torch.softmax(net(x), dim=-1)',
    line: 4,
    fix: null,
  },
  {
    name: 'nn.Softmax closing an nn.Sequential: unsafe fix drops the layer',
    text: SEQUENTIAL,
    at: 'nn.Softmax(dim=1)',
    line: 7,
    fix: {
      title: 'Return logits from the model (remove the softmax; callers get logits)',
      safe: false,
      text: SEQUENTIAL.replace('    nn.Linear(128, 10),\n    nn.Softmax(dim=1),\n', '    nn.Linear(128, 10),\n'),
    },
  },
  {
    name: 'self.softmax = nn.Softmax(...) called in forward: unsafe fix',
    text: SELF_MODULE,
    at: 'self.softmax(self.fc(x))',
    line: 8,
    fix: {
      title: 'Return logits from the model (remove the softmax; callers get logits)',
      safe: false,
      text: SELF_MODULE.replace('return self.softmax(self.fc(x))', 'return self.fc(x)'),
    },
  },
  {
    name: 'method form x.softmax(1) into F.cross_entropy: safe fix',
    text: py('import torch.nn.functional as F', 'loss = F.cross_entropy(logits.softmax(1), target)'),
    at: 'logits.softmax(1)',
    line: 2,
    fix: { title: 'Pass the logits to the loss (remove the softmax)', safe: true, text: py('import torch.nn.functional as F', 'loss = F.cross_entropy(logits, target)') },
  },
  {
    name: 'softmax into NLLLoss: safe fix turns it into log_softmax',
    text: py('import torch.nn as nn', 'import torch.nn.functional as F', 'loss = nn.NLLLoss()(F.softmax(scores, dim=1), labels)'),
    at: 'F.softmax(scores, dim=1)',
    line: 3,
    message:
      '`nn.NLLLoss` (line 3) expects log-probabilities but receives the output of `F.softmax(scores, dim=1)`; use `log_softmax`, ' +
      'or the loss is computed on probabilities and its gradients vanish',
    fix: {
      title: 'Use `log_softmax` before `NLLLoss`',
      safe: true,
      text: py('import torch.nn as nn', 'import torch.nn.functional as F', 'loss = nn.NLLLoss()(F.log_softmax(scores, dim=1), labels)'),
    },
  },
  {
    name: 'Keras: softmax output layer compiled with from_logits=True: safe fix',
    text: KERAS,
    at: 'from_logits=True',
    line: 6,
    message:
      '`keras.losses.SparseCategoricalCrossentropy(...)` is told the model outputs logits, but its last layer ' +
      '`keras.layers.Dense(...)` (line 4) applies softmax; the loss applies softmax a second time and the gradients flatten',
    fix: { title: 'Set `from_logits=False` (the model already outputs probabilities)', safe: true, text: KERAS.replace('from_logits=True', 'from_logits=False') },
  },
  {
    name: 'Keras functional model, loss object in a variable',
    text: KERAS_FUNCTIONAL,
    at: 'from_logits=True',
    line: 7,
    fix: { title: 'Set `from_logits=False` (the model already outputs probabilities)', safe: true, text: KERAS_FUNCTIONAL.replace('from_logits=True', 'from_logits=False') },
  },
];

const mustNotReport: NoReportCase[] = [
  { name: 'forward returns logits', text: MODEL_FORWARD.replace('return F.softmax(logits, dim=1)', 'return logits') },
  { name: 'log_softmax into NLLLoss', text: py('import torch.nn as nn', 'import torch.nn.functional as F', 'loss = nn.NLLLoss()(F.log_softmax(s, dim=1), y)') },
  { name: 'torch.log of a softmax into NLLLoss', text: py('import torch', 'import torch.nn as nn', 'loss = nn.NLLLoss()(torch.log(torch.softmax(s, 1)), y)') },
  { name: 'log_softmax into CrossEntropyLoss (redundant, not wrong)', text: py('import torch.nn.functional as F', 'loss = F.cross_entropy(F.log_softmax(s, 1), y)') },
  { name: 'softmax into MSELoss', text: py('import torch.nn as nn', 'import torch.nn.functional as F', 'loss = nn.MSELoss()(F.softmax(s, 1), y)') },
  {
    name: 'forward returns logits while training and probabilities otherwise',
    text: MODEL_FORWARD.replace('        return F.softmax(logits, dim=1)', '        if self.training:\n            return logits\n        return F.softmax(logits, dim=1)'),
  },
  {
    name: 'a criterion variable bound to two different losses',
    text: py('import torch.nn as nn', 'import torch.nn.functional as F', 'criterion = nn.CrossEntropyLoss()', 'criterion = nn.MSELoss()', 'loss = criterion(F.softmax(s, 1), y)'),
  },
  {
    // The function's own `criterion` (a BCELoss) shadows the module's CrossEntropyLoss.
    name: 'a function-local criterion of another loss shadowing a module-level CrossEntropyLoss',
    text: py(
      'import torch.nn as nn',
      'import torch.nn.functional as F',
      'criterion = nn.CrossEntropyLoss()',
      'def train_step(net, x, y):',
      '    criterion = nn.BCELoss()',
      '    return criterion(F.softmax(net(x), 1), y)',
    ),
  },
  { name: 'Keras softmax output without from_logits', text: KERAS.replace('SparseCategoricalCrossentropy(from_logits=True)', 'SparseCategoricalCrossentropy()') },
  { name: 'Keras linear output with from_logits=True', text: KERAS.replace('keras.layers.Dense(10, activation="softmax")', 'keras.layers.Dense(10)') },
  { name: 'a softmax reassigned before the loss', text: py('import torch.nn.functional as F', 'p = F.softmax(s, 1)', 'p = s', 'loss = F.cross_entropy(p, y)') },
];

ruleTables('softmax-before-ce', 'warning', mustReport, mustNotReport);
