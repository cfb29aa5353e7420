import { fixture } from './fixtures';
import { crlf, py, ruleTables, type NoReportCase, type ReportCase } from './code-rule-tables';

const TAIL = 'a softmax over a single unit always outputs 1.0, so the prediction never depends on the input and the model cannot learn';
const SEED004 = fixture('code/seed004_keras/train.py');

const DENSE_SOFTMAX = py(
  'from tensorflow import keras',
  'from tensorflow.keras import layers',
  'model = keras.Sequential([layers.LSTM(32), layers.Dense(1, activation="softmax")])',
  'model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])',
);

const mustReport: ReportCase[] = [
  {
    name: 'seed 004: Dense(1) then Activation("softmax"), categorical loss: unsafe fix to sigmoid and binary_crossentropy',
    text: SEED004,
    at: "'softmax'",
    line: 19,
    message: `\`Activation('softmax')\` follows \`Dense(1)\` (line 18), a single unit; ${TAIL}`,
    fix: {
      title: 'Use a sigmoid for the single output unit and `binary_crossentropy`',
      safe: false,
      text: SEED004.replace("Activation('softmax')", "Activation('sigmoid')").replace("loss='categorical_crossentropy'", "loss='binary_crossentropy'"),
    },
  },
  {
    name: 'seed 004 with CRLF line endings',
    text: crlf(SEED004),
    at: "'softmax'",
    line: 19,
    fix: {
      title: 'Use a sigmoid for the single output unit and `binary_crossentropy`',
      safe: false,
      text: crlf(SEED004).replace("Activation('softmax')", "Activation('sigmoid')").replace("loss='categorical_crossentropy'", "loss='binary_crossentropy'"),
    },
  },
  {
    name: 'Dense(1, activation="softmax") as the output layer',
    text: DENSE_SOFTMAX,
    at: '"softmax"',
    line: 3,
    message: `\`layers.Dense(1, activation="softmax")\` has one unit and a softmax activation; ${TAIL}`,
    fix: {
      title: 'Use a sigmoid for the single output unit and `binary_crossentropy`',
      safe: false,
      text: DENSE_SOFTMAX.replace('activation="softmax"', 'activation="sigmoid"').replace('"categorical_crossentropy"', '"binary_crossentropy"'),
    },
  },
  {
    name: 'Dense(units=1, activation="softmax") with a non-categorical loss: only the activation changes',
    text: py('from keras.layers import Dense', 'from keras.models import Sequential', 'm = Sequential()', 'm.add(Dense(units=1, activation="softmax"))', 'm.compile(loss="mse", optimizer="sgd")'),
    at: '"softmax"',
    line: 4,
    fix: {
      title: 'Use a sigmoid for the single output unit',
      safe: false,
      text: py('from keras.layers import Dense', 'from keras.models import Sequential', 'm = Sequential()', 'm.add(Dense(units=1, activation="sigmoid"))', 'm.compile(loss="mse", optimizer="sgd")'),
    },
  },
  {
    name: 'activation=tf.nn.softmax: finding without a fix',
    text: py('import tensorflow as tf', 'head = tf.keras.layers.Dense(1, activation=tf.nn.softmax)'),
    at: 'tf.nn.softmax',
    line: 2,
    fix: null,
  },
  {
    name: 'PyTorch: nn.Linear(h, 1) then nn.Softmax(dim=-1) in a Sequential: no fix',
    text: py('import torch.nn as nn', 'head = nn.Sequential(nn.Linear(64, 1), nn.Softmax(dim=-1))'),
    at: 'nn.Softmax(dim=-1)',
    line: 2,
    message: `\`nn.Softmax(dim=-1)\` follows \`nn.Linear(64, 1)\` (line 2), a single output; ${TAIL}`,
    fix: null,
  },
  {
    name: 'PyTorch: F.softmax(self.out(x), dim=-1) with self.out = nn.Linear(h, 1)',
    text: py(
      'import torch.nn as nn',
      'import torch.nn.functional as F',
      'class Scorer(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.out = nn.Linear(128, out_features=1)',
      '    def forward(self, x):',
      '        return F.softmax(self.out(x), dim=-1)',
    ),
    at: 'F.softmax(self.out(x), dim=-1)',
    line: 8,
    message:
      '`F.softmax(self.out(x), dim=-1)` is taken over the last dimension of `self.out(x)`, whose layer ' +
      `\`nn.Linear(128, out_features=1)\` (line 6) has one output; ${TAIL}`,
    fix: null,
  },
];

const mustNotReport: NoReportCase[] = [
  { name: 'Dense(2, activation="softmax")', text: DENSE_SOFTMAX.replace('Dense(1,', 'Dense(2,') },
  { name: 'Dense(1, activation="sigmoid")', text: DENSE_SOFTMAX.replace('"softmax"', '"sigmoid"') },
  { name: 'Dense(1) then Activation("sigmoid")', text: SEED004.replace("Activation('softmax')", "Activation('sigmoid')") },
  { name: 'Dense(1) followed by Dense(3) then softmax', text: py('from keras.layers import Dense, Activation', 'from keras.models import Sequential', 'm = Sequential([Dense(1), Dense(3), Activation("softmax")])') },
  { name: 'nn.Linear(h, 1) then softmax over dim=1 (depends on the shape)', text: py('import torch.nn as nn', 'head = nn.Sequential(nn.Linear(64, 1), nn.Softmax(dim=1))') },
  { name: 'nn.Linear(h, 2) then nn.Softmax(dim=-1)', text: py('import torch.nn as nn', 'head = nn.Sequential(nn.Linear(64, 2), nn.Softmax(dim=-1))') },
  { name: 'a Dense from a non-Keras library', text: py('from mylib import Dense', 'layer = Dense(1, activation="softmax")') },
];

ruleTables('single-unit-softmax', 'error', mustReport, mustNotReport);
