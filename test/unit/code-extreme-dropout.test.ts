import { fixture } from './fixtures';
import { py, ruleTables, type NoReportCase, type ReportCase } from './code-rule-tables';

const TAIL = 'at 0.8 and above the network mostly learns from noise, and validation accuracy stalls; rates of 0.1 to 0.5 are usual';

const mustReport: ReportCase[] = [
  {
    name: 'seed 004: Keras Dropout(0.95) after a bidirectional LSTM',
    text: fixture('code/seed004_keras/train.py'),
    at: '0.95',
    line: 17,
    message: `\`Dropout(0.95)\` drops 95% of the units on every training step; ${TAIL}`,
    fix: null,
  },
  {
    name: 'nn.Dropout(p=0.9)',
    text: py('import torch.nn as nn', 'drop = nn.Dropout(p=0.9)'),
    at: '0.9',
    line: 2,
    message: `\`nn.Dropout(p=0.9)\` drops 90% of the units on every training step; ${TAIL}`,
    fix: null,
  },
  { name: 'exactly 0.8, positional, Dropout2d', text: py('from torch import nn', 'd = nn.Dropout2d(0.8)'), at: '0.8', line: 2, fix: null },
  { name: 'F.dropout(x, p=0.85)', text: py('import torch.nn.functional as F', 'y = F.dropout(x, p=0.85, training=True)'), at: '0.85', line: 2, fix: null },
  {
    name: 'dropout= keyword of a multi-layer nn.LSTM',
    text: py('import torch.nn as nn', 'rnn = nn.LSTM(32, 64, num_layers=2, dropout=0.9)'),
    at: '0.9',
    line: 2,
    message: `\`dropout=\` in \`nn.LSTM(...)\` drops 90% of the units on every training step; ${TAIL}`,
    fix: null,
  },
  { name: 'Keras recurrent_dropout= keyword', text: py('from tensorflow.keras.layers import GRU', 'g = GRU(64, recurrent_dropout=0.99)'), at: '0.99', line: 2, fix: null },
  { name: 'a module-level constant', text: py('from tensorflow.keras import layers', 'DROPOUT = 0.95', 'd = layers.Dropout(DROPOUT)'), at: 'DROPOUT', line: 3, fix: null },
  { name: 'Keras rate= keyword', text: py('from tensorflow.keras import layers', 'd = layers.Dropout(rate=1.0)'), at: '1.0', line: 2, fix: null },
];

const mustNotReport: NoReportCase[] = [
  { name: 'nn.Dropout(0.5)', text: py('import torch.nn as nn', 'd = nn.Dropout(0.5)') },
  { name: 'just under the threshold', text: py('import torch.nn as nn', 'd = nn.Dropout(p=0.79)') },
  { name: 'a single-layer nn.LSTM ignores dropout=', text: py('import torch.nn as nn', 'rnn = nn.LSTM(32, 64, dropout=0.9)') },
  { name: 'TF1 keep_prob=0.9 keeps 90%', text: py('import tensorflow as tf', 'y = tf.nn.dropout(x, keep_prob=0.9)') },
  { name: 'a rate from a function parameter', text: py('import torch.nn as nn', 'def make(p=0.9):', '    return nn.Dropout(p)') },
  { name: 'a name assigned twice', text: py('import torch.nn as nn', 'P = 0.9', 'P = 0.1', 'd = nn.Dropout(P)') },
  { name: 'Dropout from an unrelated library', text: py('from mylib import Dropout', 'd = Dropout(0.9)') },
];

ruleTables('extreme-dropout', 'warning', mustReport, mustNotReport);
