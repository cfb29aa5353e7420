import { fixture } from './fixtures';
import { crlf, py, ruleTables, tabs, type NoReportCase, type ReportCase } from './code-rule-tables';

const TAIL = 'exploding gradients in RNNs cause sudden loss spikes and accuracy collapses';
const SEED004 = fixture('code/seed004_keras/train.py');
const SEED004_ADAM = 'Adam(lr=5e-6, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0.0, amsgrad=False)';

const KERAS_STRING = py(
  'import tensorflow as tf',
  'model = tf.keras.Sequential([',
  '    tf.keras.layers.Embedding(10000, 64),',
  '    tf.keras.layers.Bidirectional(tf.keras.layers.GRU(64)),',
  '    tf.keras.layers.Dense(1, activation="sigmoid"),',
  '])',
  'model.compile(optimizer="adam", loss="binary_crossentropy")',
);

const KERAS_MULTILINE = py(
  'from keras import layers, models, optimizers',
  'model = models.Sequential()',
  'model.add(layers.SimpleRNN(32, input_shape=(100, 8)))',
  'model.add(layers.Dense(1))',
  'opt = optimizers.RMSprop(',
  '    learning_rate=1e-3,',
  '    rho=0.9,',
  ')',
  'model.compile(optimizer=opt, loss="mse")',
);

const LIGHTNING = py(
  'import torch',
  'from torch import nn',
  'import pytorch_lightning as pl',
  '',
  'class Forecaster(pl.LightningModule):',
  '    def __init__(self):',
  '        super().__init__()',
  '        self.rnn = nn.LSTM(8, 32, batch_first=True)',
  '        self.head = nn.Linear(32, 1)',
  '',
  '    def training_step(self, batch, batch_idx):',
  '        x, y = batch',
  '        out, _ = self.rnn(x)',
  '        return nn.functional.mse_loss(self.head(out[:, -1]), y)',
  '',
  '    def configure_optimizers(self):',
  '        return torch.optim.Adam(self.parameters(), lr=1e-3)',
  '',
  'trainer = pl.Trainer(max_epochs=20, accelerator="auto")',
  'trainer.fit(Forecaster(), train_loader)',
);

const LIGHTNING_BARE = py(
  'from torch import nn',
  'from lightning.pytorch import LightningModule, Trainer',
  'class Tagger(LightningModule):',
  '    def __init__(self):',
  '        super().__init__()',
  '        self.gru = nn.GRU(16, 16)',
  'Trainer().fit(Tagger())',
);

const mustReport: ReportCase[] = [
  {
    name: 'seed 004: Keras bidirectional LSTM, Adam without clipnorm: unsafe fix adds clipnorm=1.0',
    text: SEED004,
    at: SEED004_ADAM,
    line: 20,
    message: `the model has a recurrent layer (\`LSTM\`, line 15) but the optimizer \`Adam(...)\` is built without \`clipnorm\`; ${TAIL}`,
    fix: {
      title: 'Clip gradients in the optimizer (clipnorm=1.0)',
      safe: false,
      text: SEED004.replace('amsgrad=False)', 'amsgrad=False, clipnorm=1.0)'),
    },
  },
  {
    name: 'seed 004 with CRLF line endings',
    text: crlf(SEED004),
    at: SEED004_ADAM,
    line: 20,
    fix: { title: 'Clip gradients in the optimizer (clipnorm=1.0)', safe: false, text: crlf(SEED004).replace('amsgrad=False)', 'amsgrad=False, clipnorm=1.0)') },
  },
  {
    name: 'Keras GRU inside Bidirectional, optimizer="adam": fix spells the class through the tf import',
    text: KERAS_STRING,
    at: '"adam"',
    line: 7,
    message: `the model has a recurrent layer (\`tf.keras.layers.GRU\`, line 4) but the optimizer \`"adam"\` is used without \`clipnorm\`; ${TAIL}`,
    fix: {
      title: 'Clip gradients in the optimizer (`tf.keras.optimizers.Adam(clipnorm=1.0)`)',
      safe: false,
      text: KERAS_STRING.replace('optimizer="adam"', 'optimizer=tf.keras.optimizers.Adam(clipnorm=1.0)'),
    },
  },
  {
    name: 'Keras optimizer="adam" with no import to spell the class with: finding without a fix',
    text: py('model = Sequential()', 'model.add(LSTM(16))', "model.compile(optimizer='adam', loss='mse')"),
    at: "'adam'",
    line: 3,
    fix: null,
  },
  {
    name: 'Keras SimpleRNN, optimizer in a variable, multi-line arguments with a trailing comma, tabs',
    text: tabs(KERAS_MULTILINE),
    at: 'optimizers.RMSprop(\n\tlearning_rate=1e-3,\n\trho=0.9,\n)',
    line: 5,
    fix: {
      title: 'Clip gradients in the optimizer (clipnorm=1.0)',
      safe: false,
      text: tabs(KERAS_MULTILINE).replace('\trho=0.9,\n', '\trho=0.9, clipnorm=1.0\n'),
    },
  },
  {
    name: 'Lightning: LightningModule with nn.LSTM, Trainer without gradient_clip_val: unsafe fix',
    text: LIGHTNING,
    at: 'pl.Trainer(max_epochs=20, accelerator="auto")',
    line: 19,
    message:
      'the model has a recurrent layer (`nn.LSTM`, line 8) but `pl.Trainer(max_epochs=20, accelerator="auto")` is built without ' +
      `\`gradient_clip_val\`; ${TAIL}`,
    fix: {
      title: 'Clip gradients in the Trainer (gradient_clip_val=1.0)',
      safe: false,
      text: LIGHTNING.replace('accelerator="auto")', 'accelerator="auto", gradient_clip_val=1.0)'),
    },
  },
  {
    name: 'Lightning imported bare, Trainer() with no arguments',
    text: LIGHTNING_BARE,
    at: 'Trainer()',
    line: 7,
    fix: { title: 'Clip gradients in the Trainer (gradient_clip_val=1.0)', safe: false, text: LIGHTNING_BARE.replace('Trainer()', 'Trainer(gradient_clip_val=1.0)') },
  },
];

const mustNotReport: NoReportCase[] = [
  { name: 'Keras optimizer with clipnorm', text: SEED004.replace('amsgrad=False)', 'amsgrad=False, clipnorm=1.0)') },
  { name: 'Keras optimizer with clipvalue', text: KERAS_MULTILINE.replace('rho=0.9,', 'rho=0.9, clipvalue=0.5,') },
  { name: 'Keras model without a recurrent layer', text: KERAS_STRING.replace('tf.keras.layers.Bidirectional(tf.keras.layers.GRU(64))', 'tf.keras.layers.GlobalAveragePooling1D()') },
  { name: 'Lightning Trainer with gradient_clip_val', text: LIGHTNING.replace('accelerator="auto")', 'accelerator="auto", gradient_clip_val=0.5)') },
  { name: 'Lightning manual optimisation', text: LIGHTNING.replace('        super().__init__()\n', '        super().__init__()\n        self.automatic_optimization = False\n') },
  { name: 'Lightning module without a recurrent layer', text: LIGHTNING.replace('nn.LSTM(8, 32, batch_first=True)', 'nn.Linear(8, 32)') },
];

ruleTables('rnn-no-grad-clip', 'info', mustReport, mustNotReport);
