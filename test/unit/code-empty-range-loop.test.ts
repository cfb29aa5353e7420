import { codeFixture, crlf, py, ruleTable, type ReportCase } from './code-rule-table';

const RULE = 'empty-range-loop';
const message = (range: string, why: string, target: string): string =>
  `\`${range}\` is empty (${why}), so the loop \`for ${target} in ...\` never runs`;

const SEED = codeFixture('seed000_resume_loop.py');
const SEED_WITHOUT_COUNT = SEED.replace('number_of_epochs=25\n', '');

const mustReport: ReportCase[] = [
  {
    name: 'seed 000: range(start_index, start_index) through tqdm, number_of_epochs assigned: unsafe fix',
    text: SEED,
    at: 'range(start_index, start_index)', line: 10, column: 19, severity: 'warning',
    message: message('range(start_index, start_index)', 'start and stop are both `start_index`', 'epoch'),
    fix: {
      title: 'Run `number_of_epochs` epochs: `range(start_index, start_index + number_of_epochs)`',
      safe: false,
      fixed: codeFixture('seed000_resume_loop.range-fixed.py'),
    },
  },
  {
    name: 'seed 000 as posted, without the epoch count in the file: no fix',
    text: SEED_WITHOUT_COUNT,
    at: 'range(start_index, start_index)', line: 9, column: 19, severity: 'warning',
    message: message('range(start_index, start_index)', 'start and stop are both `start_index`', 'epoch'),
    fix: null,
  },
  {
    name: 'CRLF, enumerate, attribute bounds, num_epochs assigned',
    text: crlf(py('num_epochs = 10', 'for i, epoch in enumerate(range(args.start_epoch, args.start_epoch)):', '    train(epoch)')),
    at: 'range(args.start_epoch, args.start_epoch)', line: 2, column: 27, severity: 'warning',
    message: message('range(args.start_epoch, args.start_epoch)', 'start and stop are both `args.start_epoch`', 'i, epoch'),
    fix: {
      title: 'Run `num_epochs` epochs: `range(args.start_epoch, args.start_epoch + num_epochs)`',
      safe: false,
      fixed: crlf(py('num_epochs = 10', 'for i, epoch in enumerate(range(args.start_epoch, args.start_epoch + num_epochs)):', '    train(epoch)')),
    },
  },
  {
    name: 'range(0)',
    text: py('for step in range(0):', '    warmup(step)'),
    at: 'range(0)', line: 1, column: 13, severity: 'warning',
    message: message('range(0)', 'its stop is 0', 'step'), fix: null,
  },
  {
    name: 'a negative stop through tqdm.trange',
    text: py('import tqdm', 'for i in tqdm.trange(-1):', '    pass'),
    at: 'tqdm.trange(-1)', line: 2, column: 10, severity: 'warning',
    message: message('tqdm.trange(-1)', 'its stop is -1', 'i'), fix: null,
  },
  {
    name: 'literal start above stop',
    text: py('for epoch in range(10, 5):', '    fit()'),
    at: 'range(10, 5)', line: 1, column: 14, severity: 'warning',
    message: message('range(10, 5)', 'start 10 is not below stop 5', 'epoch'), fix: null,
  },
  {
    name: 'a negative step with start below stop',
    text: py('for k in range(0, 5, -1):', '    pass'),
    at: 'range(0, 5, -1)', line: 1, column: 10, severity: 'warning',
    message: message('range(0, 5, -1)', 'start 0 is not above stop 5 with step -1', 'k'), fix: null,
  },
  {
    name: 'same bounds but the loop is not over epochs: no fix even with an epoch count in the file',
    text: py('epochs = 3', 'for j in range(n, n):', '    pass'),
    at: 'range(n, n)', line: 2, column: 10, severity: 'warning',
    message: message('range(n, n)', 'start and stop are both `n`', 'j'), fix: null,
  },
  {
    name: 'two epoch-count variables: ambiguous, no fix',
    text: py('epochs = 3', 'num_epochs = 5', 'for epoch in range(start, start):', '    pass'),
    at: 'range(start, start)', line: 3, column: 14, severity: 'warning',
    message: message('range(start, start)', 'start and stop are both `start`', 'epoch'), fix: null,
  },
];

ruleTable(RULE, mustReport, [
  { name: 'seed 000 as fixed', text: codeFixture('seed000_resume_loop.range-fixed.py') },
  {
    name: 'ranges that may run, or that the rule leaves alone',
    text: py(
      'for a in range(n): pass',
      'for b in range(0, n): pass',
      'for c in range(5, 10): pass',
      'for d in range(10, 5, -1): pass',
      'for e in range(f(), f()): pass',
      'for g in range(n, n, step): pass',
      'for h in range(1): pass',
      'for i in np.arange(3, 3): pass',
      'for j in range(*bounds): pass',
      'for k in range(start=3, stop=3): pass',
    ),
  },
  { name: 'an empty range outside a for statement', text: py('xs = list(range(0))', 'ys = [i for i in range(3, 3)]') },
]);
