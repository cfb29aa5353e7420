import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_CSV_TEXT,
  MAX_EXPORT_NAME,
  MAX_HIGHLIGHTS,
  markerKey,
  MAX_PNG_DATA_URL,
  PNG_DATA_URL_PREFIX,
  exportFileName,
  parseHostMessage,
  parseWebviewMessage,
  type RunData,
  pngBytes,
} from '../../src/protocol/messages';

/** The 8-byte PNG signature plus an IHDR length, base64: a PNG's real start. */
const PNG_START = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d];
const pngUrl = PNG_DATA_URL_PREFIX + Buffer.from(PNG_START).toString('base64');

test('exportPng: accepted with a base64 PNG data URL and a name', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'exportPng', name: 'loss', dataUrl: pngUrl }), { type: 'exportPng', name: 'loss', dataUrl: pngUrl });
});

test('exportPng: other image types, broken base64, oversized data and bad names are dropped', () => {
  const bad: unknown[] = [
    { type: 'exportPng', name: 'x', dataUrl: 'data:image/svg+xml;base64,PHN2Zz4=' },
    { type: 'exportPng', name: 'x', dataUrl: `${PNG_DATA_URL_PREFIX}abc` },
    { type: 'exportPng', name: 'x', dataUrl: `${PNG_DATA_URL_PREFIX}ab!d` },
    { type: 'exportPng', name: 'x', dataUrl: PNG_DATA_URL_PREFIX },
    { type: 'exportPng', name: 'x', dataUrl: PNG_DATA_URL_PREFIX + 'A'.repeat(MAX_PNG_DATA_URL) },
    { type: 'exportPng', name: 'x'.repeat(MAX_EXPORT_NAME + 1), dataUrl: pngUrl },
    { type: 'exportPng', name: 3, dataUrl: pngUrl },
    { type: 'exportPng', dataUrl: pngUrl },
  ];
  for (const message of bad) assert.equal(parseWebviewMessage(message), undefined);
});

test('exportCsv: text within the size limit and without NUL is accepted', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'exportCsv', name: 'loss', text: 'epoch,loss\n1,2\n' }), {
    type: 'exportCsv',
    name: 'loss',
    text: 'epoch,loss\n1,2\n',
  });
  assert.equal(parseWebviewMessage({ type: 'exportCsv', name: 'loss', text: 'a\0b' }), undefined);
  assert.equal(parseWebviewMessage({ type: 'exportCsv', name: 'loss', text: 'x'.repeat(MAX_CSV_TEXT + 1) }), undefined);
  assert.equal(parseWebviewMessage({ type: 'exportCsv', name: 'loss', text: 42 }), undefined);
});

test('pngBytes decodes a PNG data URL and refuses base64 of anything else', () => {
  assert.deepEqual([...(pngBytes(pngUrl) ?? [])], PNG_START);
  assert.equal(pngBytes(PNG_DATA_URL_PREFIX + Buffer.from('GIF89a..').toString('base64')), undefined);
  assert.equal(pngBytes(PNG_DATA_URL_PREFIX + Buffer.from([0x89, 0x50]).toString('base64')), undefined);
  assert.equal(pngBytes('data:text/plain;base64,iVBORw0KGgo='), undefined);
});

test('exportFileName keeps a safe base name and sets the extension', () => {
  assert.equal(exportFileName('logs/a.log-loss', 'png'), 'logs-a.log-loss.png');
  assert.equal(exportFileName('../../etc/passwd', 'csv'), 'etc-passwd.csv');
  assert.equal(exportFileName('loss.png', 'png'), 'loss.png');
  assert.equal(exportFileName('run (2): loss', 'csv'), 'run-2-loss.csv');
  assert.equal(exportFileName('...', 'png'), 'traindx-chart.png');
  assert.equal(exportFileName('', 'csv'), 'traindx-chart.csv');
  assert.equal(exportFileName('a'.repeat(300), 'png'), `${'a'.repeat(100)}.png`);
});

test('ready and reveal: a log line, a code line, or both', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
  const code = { file: '/ws/train.py', line: 31, column: 13 };
  assert.deepEqual(parseWebviewMessage({ type: 'reveal', key: 'k', line: 3, code: null }), { type: 'reveal', key: 'k', line: 3, code: null });
  assert.deepEqual(parseWebviewMessage({ type: 'reveal', key: 'k', line: null, code }), { type: 'reveal', key: 'k', line: null, code });
  // Extra fields are not carried over.
  assert.deepEqual(parseWebviewMessage({ type: 'reveal', key: 'k', line: 3, code: { ...code, message: 'x', evil: 1 } }), { type: 'reveal', key: 'k', line: 3, code });
  const bad: unknown[] = [
    { type: 'reveal', key: 'k', line: null, code: null },
    { type: 'reveal', key: 'k', line: 0, code: null },
    { type: 'reveal', key: 'k', line: 2.5, code: null },
    { type: 'reveal', key: 'k', line: 3 },
    { type: 'reveal', line: 3, code: null },
    { type: 'reveal', key: 'k', line: 3, code: { ...code, file: '' } },
    { type: 'reveal', key: 'k', line: 3, code: { ...code, line: 0 } },
    { type: 'reveal', key: 'k', line: 3, code: { ...code, column: 0 } },
    { type: 'reveal', key: 'k', line: 3, code: { file: 7, line: 1, column: 1 } },
    { type: 'revealLine', key: 'k', line: 3 },
  ];
  for (const message of bad) assert.equal(parseWebviewMessage(message), undefined, JSON.stringify(message));
});

/** A snapshot of one run offering epochs, steps and wall time. */
function timedSnapshot(patch: (run: Record<string, unknown>) => void = () => undefined): unknown {
  const run: Record<string, unknown> = {
    key: 'file:///ws/a.log#0',
    label: 'a.log',
    xLabel: 'epoch',
    axes: ['epoch', 'step', 'wall'],
    series: [{ name: 'loss', metric: 'loss', split: 'train', x: [1, 2], y: [1, null], line: [3, 4], byAxis: { step: [10, 20], wall: [0, 5.5] } }],
    markers: [
      {
        id: 'collapse', severity: 'warning', metric: 'loss', message: 'm', x: 1, xEnd: 2, line: 3,
        byAxis: { wall: { x: 0, xEnd: 5.5 } },
        code: [{ file: '/ws/train.py', line: 31, column: 13, message: 'possible cause' }],
      },
    ],
  };
  patch(run);
  return { type: 'snapshot', runs: [run], selected: null };
}

test('snapshot: a run with several x axes parses whole', () => {
  const message = parseHostMessage(timedSnapshot());
  assert.equal(message?.type, 'snapshot');
  const run = message?.type === 'snapshot' ? (message.runs[0] as RunData) : undefined;
  assert.deepEqual(run?.axes, ['epoch', 'step', 'wall']);
  assert.deepEqual(run?.series[0].byAxis, { step: [10, 20], wall: [0, 5.5] });
  assert.deepEqual(run?.markers[0].byAxis, { wall: { x: 0, xEnd: 5.5 } });
  assert.deepEqual(run?.markers[0].code, [{ file: '/ws/train.py', line: 31, column: 13, message: 'possible cause' }]);
});

test('snapshot: axes that disagree with the run or its series are dropped', () => {
  const series = (run: Record<string, unknown>) => (run.series as Record<string, unknown>[])[0];
  const marker = (run: Record<string, unknown>) => (run.markers as Record<string, unknown>[])[0];
  const bad: [string, (run: Record<string, unknown>) => void][] = [
    ['no axes', (r) => delete r.axes],
    ['empty axes', (r) => (r.axes = [])],
    ['default not first', (r) => (r.axes = ['step', 'epoch', 'wall'])],
    ['unknown axis', (r) => (r.axes = ['epoch', 'step', 'wall', 'time'])],
    ['repeated axis', (r) => (r.axes = ['epoch', 'step', 'step'])],
    ['series lacks an offered axis', (r) => (series(r).byAxis = { step: [10, 20] })],
    ['series has an axis the run lacks', (r) => (r.axes = ['epoch', 'step'])],
    ['series repeats the default axis', (r) => (series(r).byAxis = { epoch: [1, 2], step: [10, 20], wall: [0, 5] })],
    ['axis array of another length', (r) => (series(r).byAxis = { step: [10], wall: [0, 5] })],
    ['axis array with a string', (r) => (series(r).byAxis = { step: [10, '20'], wall: [0, 5] })],
    ['byAxis an array', (r) => (series(r).byAxis = [[10, 20]])],
    ['marker place without xEnd', (r) => (marker(r).byAxis = { wall: { x: 0 } })],
    ['marker on an axis the run lacks', (r) => ((r.axes = ['epoch', 'step']), (series(r).byAxis = { step: [10, 20] }))],
    ['marker code without a message', (r) => (marker(r).code = [{ file: '/ws/train.py', line: 3, column: 1 }])],
    ['marker code not a list', (r) => (marker(r).code = { file: '/ws/train.py', line: 3, column: 1, message: 'm' })],
  ];
  for (const [what, patch] of bad) assert.equal(parseHostMessage(timedSnapshot(patch)), undefined, what);
});

test('highlight: a list of run and marker keys, nothing else', () => {
  const targets = [{ run: 'file:///ws/a.log#0', marker: markerKey({ id: 'collapse' }, 2) }];
  assert.deepEqual(parseHostMessage({ type: 'highlight', targets }), { type: 'highlight', targets: [{ run: 'file:///ws/a.log#0', marker: 'collapse#2' }] });
  assert.deepEqual(parseHostMessage({ type: 'highlight', targets: [] }), { type: 'highlight', targets: [] });
  assert.deepEqual(parseHostMessage({ type: 'highlight', targets: [{ run: 'r', marker: 'm', extra: '<b>' }] }), { type: 'highlight', targets: [{ run: 'r', marker: 'm' }] });
  const bad: unknown[] = [
    { type: 'highlight' },
    { type: 'highlight', targets: 'collapse#2' },
    { type: 'highlight', targets: [{ run: 'r' }] },
    { type: 'highlight', targets: [{ run: 'r', marker: 2 }] },
    { type: 'highlight', targets: [null] },
    { type: 'highlight', targets: Array.from({ length: MAX_HIGHLIGHTS + 1 }, () => ({ run: 'r', marker: 'm' })) },
  ];
  for (const message of bad) assert.equal(parseHostMessage(message), undefined, JSON.stringify(message).slice(0, 80));
});

test('append: new points per series with matching lengths; markers as in a snapshot', () => {
  const add = { index: 0, name: 'loss', from: 2, x: [3, 4], y: [0.5, null], line: [7, 8], byAxis: { step: [30, 40] } };
  const message = { type: 'append', selected: null, runs: [{ key: 'k', label: 'a.log', series: [add], markers: [] }] };
  assert.deepEqual(parseHostMessage(message), message);
  const bad: [string, Record<string, unknown>][] = [
    ['negative from', { from: -1 }],
    ['fractional index', { index: 0.5 }],
    ['y shorter than x', { y: [0.5] }],
    ['line shorter than x', { line: [7] }],
    ['a string value', { y: ['0.5', null] }],
    ['an axis of another length', { byAxis: { step: [30] } }],
    ['an unknown axis', { byAxis: { time: [30, 40] } }],
    ['no name', { name: undefined }],
  ];
  for (const [what, patch] of bad) {
    const broken = { ...message, runs: [{ ...message.runs[0], series: [{ ...add, ...patch }] }] };
    assert.equal(parseHostMessage(broken), undefined, what);
  }
  assert.equal(parseHostMessage({ ...message, runs: [{ key: 'k', series: [], markers: [] }] }), undefined, 'no label');
  assert.equal(parseHostMessage({ ...message, runs: [{ key: 'k', label: 'a', series: [], markers: [{ id: 'x' }] }] }), undefined, 'a broken marker');
  assert.equal(parseHostMessage({ ...message, selected: 3 }), undefined, 'selected not a key');
});
