import { codeFixture, crlf, py, ruleTable, type ReportCase } from './code-rule-table';

const RULE = 'train-loader-no-shuffle';
const missing = (who: string): string =>
  `${who} is built without \`shuffle=True\` (the default is False): every epoch sees the batches in the same order`;
const explicit = (who: string): string => `${who} is built with \`shuffle=False\`: every epoch sees the batches in the same order`;
const ADD = 'Shuffle the training data: add `shuffle=True`';
const FLIP = 'Shuffle the training data: `shuffle=True`';

const NAMED = py(
  'from torch.utils.data import DataLoader',
  'train_loader = DataLoader(train_set, batch_size=32)',
  'val_loader = DataLoader(val_set, batch_size=32)',
);

const ITERATED = crlf(py(
  'import torch',
  'loader = torch.utils.data.DataLoader(',
  '\tdataset,',
  '\tbatch_size=16,',
  '\tshuffle=False,',
  ')',
  'for x, y in tqdm(loader):',
  '\tcriterion(model(x), y).backward()',
  '\topt.step()',
));

const LIGHTNING = py(
  'from torch.utils.data import DataLoader',
  'class Data(LightningDataModule):',
  '    def train_dataloader(self):',
  '        return DataLoader(',
  '            self.train_ds,',
  '            batch_size=64,',
  '            num_workers=4,',
  '        )',
  '    def val_dataloader(self):',
  '        return DataLoader(self.val_ds, batch_size=64)',
);

const mustReport: ReportCase[] = [
  {
    name: 'train_loader without shuffle (the validation loader is left alone)',
    text: NAMED,
    at: 'DataLoader', line: 2, column: 16, severity: 'warning',
    message: missing('the training loader `train_loader`'),
    fix: { title: ADD, safe: false, fixed: NAMED.replace('(train_set, batch_size=32)', '(train_set, batch_size=32, shuffle=True)') },
  },
  {
    name: 'shuffle=False on a loader the training loop iterates, multi-line, tabs, CRLF',
    text: ITERATED,
    at: 'False', line: 5, column: 10, severity: 'warning',
    message: explicit('the training loader `loader`'),
    fix: { title: FLIP, safe: false, fixed: ITERATED.replace('shuffle=False', 'shuffle=True') },
  },
  {
    name: 'Lightning train_dataloader() with a trailing comma',
    text: LIGHTNING,
    at: 'DataLoader', line: 4, column: 16, severity: 'warning',
    message: missing('the training loader `train_dataloader`'),
    fix: { title: ADD, safe: false, fixed: LIGHTNING.replace('num_workers=4,\n', 'num_workers=4, shuffle=True,\n') },
  },
  {
    name: 'shuffle as the third positional argument',
    text: py('from torch.utils.data import DataLoader', 'train_dl = DataLoader(ds, 64, False)'),
    at: 'False', line: 2, column: 31, severity: 'warning',
    message: explicit('the training loader `train_dl`'),
    fix: { title: FLIP, safe: false, fixed: py('from torch.utils.data import DataLoader', 'train_dl = DataLoader(ds, 64, True)') },
  },
  {
    name: 'an unnamed loader over the training data in the loop header',
    text: py('from torch.utils.data import DataLoader', 'for x, y in DataLoader(train_data, batch_size=8):', '    step(x, y)'),
    at: 'DataLoader', line: 2, column: 13, severity: 'warning',
    message: missing('the training `DataLoader`'),
    fix: {
      title: ADD,
      safe: false,
      fixed: py('from torch.utils.data import DataLoader', 'for x, y in DataLoader(train_data, batch_size=8, shuffle=True):', '    step(x, y)'),
    },
  },
];

ruleTable(RULE, mustReport, [
  { name: 'seed 000: the training loader shuffles, the validation one need not', text: codeFixture('seed000_gru_train.py') },
  { name: 'shuffle=True', text: NAMED.replace('(train_set, batch_size=32)', '(train_set, batch_size=32, shuffle=True)') },
  { name: 'shuffle from a variable', text: NAMED.replace('(train_set, batch_size=32)', '(train_set, batch_size=32, shuffle=args.shuffle)') },
  { name: 'a sampler', text: NAMED.replace('(train_set, batch_size=32)', '(train_set, batch_size=32, sampler=DistributedSampler(train_set))') },
  { name: 'a batch sampler', text: NAMED.replace('(train_set, batch_size=32)', '(train_set, batch_sampler=bucket_sampler)') },
  { name: 'keyword arguments from a dict', text: NAMED.replace('(train_set, batch_size=32)', '(train_set, **loader_kwargs)') },
  {
    name: 'an IterableDataset of this file',
    text: py(
      'from torch.utils.data import DataLoader, IterableDataset',
      'class Shards(IterableDataset):',
      '    def __iter__(self):',
      '        yield from read_shards()',
      'train_set = Shards()',
      'train_loader = DataLoader(train_set, batch_size=32)',
    ),
  },
  { name: 'a streaming dataset', text: py('from torch.utils.data import DataLoader', 'train_loader = DataLoader(load_dataset("c4", streaming=True), batch_size=8)') },
  {
    name: 'a test loader iterated without training, and a loader of unknown role',
    text: py(
      'from torch.utils.data import DataLoader',
      'test_loader = DataLoader(test_set)',
      'loader = DataLoader(dataset)',
      'for x in test_loader:',
      '    predict(x)',
    ),
  },
]);
