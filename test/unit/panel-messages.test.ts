import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_CSV_TEXT,
  MAX_EXPORT_NAME,
  MAX_PNG_DATA_URL,
  PNG_DATA_URL_PREFIX,
  exportFileName,
  parseWebviewMessage,
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

test('the older messages still parse as before', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
  assert.deepEqual(parseWebviewMessage({ type: 'revealLine', key: 'k', line: 3 }), { type: 'revealLine', key: 'k', line: 3 });
  assert.equal(parseWebviewMessage({ type: 'revealLine', key: 'k', line: 0 }), undefined);
});
