// A log linked to its script by the shell script that launched the run: the log in logs/, the scripts in src/,
// and run.sh saying `python src/train.py > logs/train.log`. Written into the workspace while VS Code runs (the
// file watcher picks the log up) and removed at the end, so the other suites and the browser checks never see it.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { TrainDxApi } from '../../src/extension/extension';
import { codeOf, diagnosticsWhen, EXTENSION_ID } from './helpers';

describe('TrainDx linking a log to its script through the launch script', () => {
  const root = () => vscode.workspace.workspaceFolders![0].uri;
  const folder = () => vscode.Uri.joinPath(root(), 'shell-run');
  const write = (path: string, text: string) => vscode.workspace.fs.writeFile(vscode.Uri.joinPath(folder(), path), new TextEncoder().encode(text));

  before(async () => {
    const extension = vscode.extensions.getExtension<TrainDxApi>(EXTENSION_ID);
    assert.ok(extension, 'extension not installed');
    await (await extension.activate()).ready;
  });

  it('links the collapse in logs/train.log to optimizer.step() in src/train.py, as run.sh says', async () => {
    const gru = vscode.Uri.joinPath(root(), 'gru-run');
    await write('src/train.py', readFileSync(vscode.Uri.joinPath(gru, 'train.py').fsPath, 'utf8'));
    await write('src/evaluate.py', 'import torch\nprint(torch.__version__)\n');
    await write('run.sh', '#!/bin/bash\nnohup python -u src/train.py --epochs 50 > logs/train.log 2>&1 &\n');
    await write('logs/train.log', readFileSync(vscode.Uri.joinPath(gru, 'train.log').fsPath, 'utf8'));
    const log = vscode.Uri.joinPath(folder(), 'logs', 'train.log');
    const script = vscode.Uri.joinPath(folder(), 'src', 'train.py');
    const linked = (d: vscode.Diagnostic) => codeOf(d) === 'collapse' && (d.relatedInformation ?? []).some((r) => r.location.uri.fsPath === script.fsPath);
    const [collapse] = (await diagnosticsWhen(log, (ds) => ds.some(linked))).filter(linked);
    const toScript = collapse.relatedInformation!.find((r) => r.location.uri.fsPath === script.fsPath)!;
    assert.equal(toScript.location.range.start.line, 68);
    assert.match(toScript.message, /^possible cause \(rnn-no-grad-clip\)/);
  });

  after(async () => {
    await vscode.workspace.fs.delete(folder(), { recursive: true, useTrash: false });
    await diagnosticsWhen(vscode.Uri.joinPath(folder(), 'logs', 'train.log'), (ds) => ds.length === 0);
  });
});
