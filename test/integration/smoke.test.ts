// Proves the harness: the suite runs inside a VS Code extension host, on a copy of the fixture workspace,
// with the TrainDx extension under development loaded.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID } from './helpers';

describe('harness', () => {
  it('opens the fixture workspace', () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.equal(folders.length, 1, `expected one workspace folder, got ${folders.map((f) => f.uri.toString())}`);
    assert.equal(folders[0].uri.scheme, 'file');
  });

  it('loads and activates the TrainDx extension', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `extension ${EXTENSION_ID} is not installed`);
    await extension.activate();
    assert.ok(extension.isActive, `extension ${EXTENSION_ID} did not activate`);
  });
});
