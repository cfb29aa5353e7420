// A log linked to its script by the shell script that launched the run: the log in logs/, the scripts in src/,
// and run.sh saying `python src/train.py > logs/train.log`. The whole folder appears at once while VS Code runs,
// as `cp -r` or `git checkout` make it: Linux's file watcher sees the new top folder but not what is inside it
// (parcel-bundler/watcher#97), so TrainDx must look into the folder itself. Removed at the end, so the other
// suites and the browser checks never see it.
import * as assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { TrainDxApi } from '../../src/extension/extension';
import { activeApi, codeOf, diagnosticsWhen, until } from './helpers';

describe('TrainDx linking a log to its script through the launch script', () => {
  const root = () => vscode.workspace.workspaceFolders![0].uri;
  const folder = () => vscode.Uri.joinPath(root(), 'shell-run');
  const write = (path: string, text: string) => {
    const file = join(folder().fsPath, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  };

  let api: TrainDxApi;
  before(async () => {
    api = await activeApi();
  });

  it('links the collapse in logs/train.log to optimizer.step() in src/train.py, as run.sh says, in a folder that appeared whole', async () => {
    const gru = vscode.Uri.joinPath(root(), 'gru-run');
    write('src/train.py', readFileSync(vscode.Uri.joinPath(gru, 'train.py').fsPath, 'utf8'));
    write('src/evaluate.py', 'import torch\nprint(torch.__version__)\n');
    write('run.sh', '#!/bin/bash\nnohup python -u src/train.py --epochs 50 > logs/train.log 2>&1 &\n');
    // The run has written epochs 1-26 when the folder appears, then goes on writing into a folder with no watch.
    const text = readFileSync(vscode.Uri.joinPath(gru, 'train.log').fsPath, 'utf8');
    const cut = text.indexOf('Epoch 27/50');
    write('logs/train.log', text.slice(0, cut));
    const log = vscode.Uri.joinPath(folder(), 'logs', 'train.log');
    await until(() => api.workspace.latestRunKey(log) !== undefined, 'the log in the new folder to be read');
    appendFileSync(log.fsPath, text.slice(cut));
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
