// The walking skeleton end to end in a real VS Code: the seed-000 log and script in one folder give a
// `collapse` problem on the log line and an `rnn-no-grad-clip` problem on `optimizer.step()`, linked both
// ways; the quick fix applies exactly; the curve panel opens beside the editor with the run's curves.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { TrainDxApi } from '../../src/extension/extension';
import type { HostMessage } from '../../src/protocol/messages';
import { activeApi, codeOf, diagnosticsWhen, until, withCode } from './helpers';

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures');

function folder(): vscode.Uri {
  return vscode.workspace.workspaceFolders![0].uri;
}

const logUri = () => vscode.Uri.joinPath(folder(), 'gru-run', 'train.log');
const scriptUri = () => vscode.Uri.joinPath(folder(), 'gru-run', 'train.py');


describe('TrainDx on the seed-000 GRU run', () => {
  let api: TrainDxApi;

  before(async () => {
    api = await activeApi();
  });

  it('puts the collapse on the log line where it shows, linked to optimizer.step()', async () => {
    const diagnostics = await diagnosticsWhen(logUri(), withCode('collapse'));
    const collapse = diagnostics.find((d) => codeOf(d) === 'collapse')!;
    assert.equal(collapse.severity, vscode.DiagnosticSeverity.Warning);
    // Editor line 352 (0-based 351) holds epoch 27's final progress state.
    assert.equal(collapse.range.start.line, 351);
    const document = await vscode.workspace.openTextDocument(logUri());
    assert.match(document.lineAt(351).text, /^98\/98 .* accuracy: 0\.5094 /);
    assert.match(collapse.message, /^train `accuracy` collapsed from 0\.99 \(epoch 24\) to 0\.51 at epoch 27/);
    const related = collapse.relatedInformation ?? [];
    assert.equal(related.length, 1);
    assert.equal(related[0].location.uri.fsPath, scriptUri().fsPath);
    const script = readFileSync(scriptUri().fsPath, 'utf8').split('\n');
    assert.equal(script[related[0].location.range.start.line].trim(), 'optimizer.step()');
    assert.match(related[0].message, /rnn-no-grad-clip/);
  });

  it('puts rnn-no-grad-clip on optimizer.step(), linked back to the log line', async () => {
    const document = await vscode.workspace.openTextDocument(scriptUri());
    await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
    const diagnostics = await diagnosticsWhen(scriptUri(), withCode('rnn-no-grad-clip'));
    const finding = diagnostics.find((d) => codeOf(d) === 'rnn-no-grad-clip')!;
    assert.equal(document.getText(finding.range), 'optimizer.step()');
    // A hint on its own; the collapse in the linked log makes it a warning, and the message says why.
    assert.equal(finding.severity, vscode.DiagnosticSeverity.Warning);
    assert.match(finding.message, /The linked log `[^`]+` shows it: train `accuracy` collapsed from 0\.99 \(epoch \d+\) to 0\.51 at epoch 27\./);
    const target = (finding.code as { target: vscode.Uri }).target;
    assert.match(target.path, /dist\/docs\/rules\/rnn-no-grad-clip\.md$/);
    const toLog = (finding.relatedInformation ?? []).filter((r) => r.location.uri.fsPath === logUri().fsPath);
    assert.deepEqual(toLog.map((r) => r.location.range.start.line), [351]);
  });

  it('offers the clipping fix under the light bulb, not preferred, and applies it exactly', async () => {
    const document = await vscode.workspace.openTextDocument(scriptUri());
    const [finding] = (await diagnosticsWhen(scriptUri(), withCode('rnn-no-grad-clip'))).filter((d) => codeOf(d) === 'rnn-no-grad-clip');
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', document.uri, finding.range);
    const fix = actions.find((a) => a.title.startsWith('Clip gradients'));
    assert.ok(fix, `no clipping fix among: ${actions.map((a) => a.title).join(' | ')}`);
    assert.equal(fix.kind?.value, vscode.CodeActionKind.QuickFix.value);
    assert.ok(!fix.isPreferred, 'a fix that changes training must not be preferred');
    assert.ok(fix.edit);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.equal(document.getText(), readFileSync(join(FIXTURES, 'code', 'seed000_gru_train.fixed.py'), 'utf8'));
    // Re-analysis after the edit: the problem is gone.
    await diagnosticsWhen(scriptUri(), (d) => !withCode('rnn-no-grad-clip')(d));
    // Put the script back for the browser-level checks that follow the suite.
    await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await diagnosticsWhen(scriptUri(), withCode('rnn-no-grad-clip'));
  });

  it('Fix All Safe Problems applies the pure corrections only, never the clipping', async () => {
    const document = await vscode.workspace.openTextDocument(scriptUri());
    await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
    await vscode.commands.executeCommand('traindx.fixAll');
    // Hoisting `inference_mode` out of the validation loop is safe; clipping changes training and stays a choice.
    assert.equal(document.getText(), readFileSync(join(FIXTURES, 'code', 'seed000_gru_train.safe-fixed.py'), 'utf8'));
    await vscode.commands.executeCommand('workbench.action.files.revert');
    assert.equal(document.getText(), readFileSync(join(FIXTURES, 'code', 'seed000_gru_train.py'), 'utf8'));
  });

  it('follows the script\'s imports: the softmax before CrossEntropyLoss is a problem in model.py, fixed there', async () => {
    const project = vscode.Uri.joinPath(folder(), 'lstm-project');
    const model = vscode.Uri.joinPath(project, 'model.py');
    await vscode.window.showTextDocument(vscode.Uri.joinPath(project, 'train.py'), { viewColumn: vscode.ViewColumn.One });
    const [finding] = (await diagnosticsWhen(model, withCode('softmax-before-ce'))).filter((d) => codeOf(d) === 'softmax-before-ce');
    assert.ok((finding.relatedInformation ?? []).some((r) => r.location.uri.path.endsWith('lstm-project/train.py')));
    const document = await vscode.workspace.openTextDocument(model);
    assert.equal(document.getText(finding.range).startsWith('F.softmax'), true, document.getText(finding.range));
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', model, finding.range);
    const fix = actions.find((a) => a.title.startsWith('Return logits'));
    assert.ok(fix?.edit, `no fix among: ${actions.map((a) => a.title).join(' | ')}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.equal(document.getText(), readFileSync(join(FIXTURES, 'code', 'lstm_softmax_project', 'model.fixed.py'), 'utf8'));
    await diagnosticsWhen(model, (d) => !withCode('softmax-before-ce')(d));
  });

  it('compares the runs of a folder: the same final validation accuracy across three models (seed 004)', async () => {
    const runs = vscode.Uri.joinPath(folder(), 'seed004-runs');
    const cnn = vscode.Uri.joinPath(runs, 'cnn.log');
    const stuck = (await diagnosticsWhen(cnn, withCode('stuck-metric'))).find((d) => codeOf(d) === 'stuck-metric')!;
    assert.match(stuck.message, /^validation `accuracy` ends at exactly 0\.76 in 3 of 3 runs/);
    assert.deepEqual(
      (stuck.relatedInformation ?? []).map((r) => [r.location.uri.fsPath, r.location.range.start.line]),
      [[vscode.Uri.joinPath(runs, 'lstm.log').fsPath, 15], [vscode.Uri.joinPath(runs, 'mlp.log').fsPath, 15]],
    );
  });

  it('follows a log while the run writes it: the collapse appears when its epoch is written', async () => {
    const log = readFileSync(logUri().fsPath, 'utf8');
    const cut = log.indexOf('Epoch 27/50');
    const live = vscode.Uri.joinPath(folder(), 'live-run', 'live.log');
    await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(folder(), 'live-run'));
    await vscode.workspace.fs.writeFile(live, Buffer.from(log.slice(0, cut)));
    // Epochs 1-26 hold no collapse: the log is read (the run appears) but no warning is raised.
    await until(() => api.workspace.latestRunKey(live) !== undefined, 'the live log to be read');
    const early = vscode.languages.getDiagnostics(live);
    assert.deepEqual(early.filter((d) => d.severity <= vscode.DiagnosticSeverity.Warning).map(codeOf), []);
    // The run goes on: epochs 27-50 are appended to the same file.
    const appended = diagnosticsWhen(live, withCode('collapse'));
    await appendFile(live.fsPath, log.slice(cut));
    const collapse = (await appended).find((d) => codeOf(d) === 'collapse')!;
    assert.equal(collapse.range.start.line, 351);
    assert.match(collapse.message, /collapsed from 0\.99 \(epoch 24\) to 0\.51 at epoch 27/);
    await vscode.workspace.fs.delete(vscode.Uri.joinPath(folder(), 'live-run'), { recursive: true });
    await diagnosticsWhen(live, (d) => d.length === 0);
  });

  it('lists runs and their findings in the Training Runs view; a run opens the panel on it', async () => {
    const runs = api.runsView.getChildren();
    const gru = runs.find((n) => n.kind === 'run' && n.run.label === 'gru-run/train.log');
    assert.ok(gru && gru.kind === 'run', `runs: ${runs.map((n) => (n.kind === 'run' ? n.run.label : '?')).join(', ')}`);
    const item = api.runsView.getTreeItem(gru);
    assert.match(String(item.description), /^epoch 50 · 1 problem$/);
    const findings = api.runsView.getChildren(gru).map((n) => (n.kind === 'finding' ? n.finding.id : '?'));
    assert.deepEqual(findings.sort(), ['collapse', 'plateau']);
    const collapseItem = api.runsView.getTreeItem(api.runsView.getChildren(gru).find((n) => n.kind === 'finding' && n.finding.id === 'collapse')!);
    assert.equal(collapseItem.command?.command, 'vscode.open');
    // The run's command opens the panel on that run.
    const key = item.command!.arguments![0] as string;
    const posted = new Promise<void>((resolve) => {
      const check = () => {
        const last = api.currentPanel()?.lastMessage;
        if (last?.type === 'snapshot' && last.selected === key) {
          resolve();
          return true;
        }
        return false;
      };
      if (check()) return;
      const timer = setInterval(() => check() && clearInterval(timer), 50);
    });
    await vscode.commands.executeCommand(item.command!.command, ...item.command!.arguments!);
    await posted;
  });

  it('opens the curve panel beside the editor with the run, its curves and the collapse marker', async () => {
    // Show the script at the problem, as a user arriving from the Problems view would see it.
    const document = await vscode.workspace.openTextDocument(scriptUri());
    const [finding] = (await diagnosticsWhen(scriptUri(), withCode('rnn-no-grad-clip'))).filter((d) => codeOf(d) === 'rnn-no-grad-clip');
    const editor = await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.One, selection: finding.range });
    editor.revealRange(finding.range, vscode.TextEditorRevealType.InCenter);
    await vscode.commands.executeCommand('traindx.showCurves');
    const panel = api.currentPanel();
    assert.ok(panel, 'no panel after TrainDx: Show Training Curves');
    await panel.isReady;
    const snapshot = panel.lastMessage;
    assert.ok(snapshot && snapshot.type === 'snapshot', `expected a snapshot, got ${snapshot?.type}`);
    const run = snapshot.runs.find((r) => r.label.endsWith('train.log'));
    assert.ok(run, `runs: ${snapshot.runs.map((r) => r.label).join(', ')}`);
    assert.deepEqual(run.series.map((s) => s.name).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    assert.equal(run.series.find((s) => s.name === 'accuracy')!.x.length, 50);
    // The marker shades the fall: from the best epoch before it (24) to the bottom (27).
    assert.deepEqual(run.markers.filter((m) => m.id === 'collapse').map((m) => [m.id, m.x, m.xEnd]), [['collapse', 24, 27]]);
    assert.equal(panel.viewColumn, vscode.ViewColumn.Two);
    // Leave the workbench tidy for the browser checks and the screenshot that follow the suite.
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  it('highlights the collapse marker when the cursor is on its problem in the script or in the log', async () => {
    const panel = api.currentPanel();
    assert.ok(panel, 'the panel test above leaves the panel open');
    await panel.isReady;
    const run = panel.sentRuns.find((r) => r.key.startsWith(`${logUri().toString()}#`));
    assert.ok(run, `runs: ${panel.sentRuns.map((r) => r.key).join(', ')}`);
    const index = run.markers.findIndex((m) => m.id === 'collapse');
    const collapse = { run: run.key, marker: `collapse#${index}` };
    // The marker carries the script line the collapse is linked to.
    const [clip] = (await diagnosticsWhen(scriptUri(), withCode('rnn-no-grad-clip'))).filter((d) => codeOf(d) === 'rnn-no-grad-clip');
    assert.deepEqual(
      run.markers[index].code?.map((c) => [c.file, c.line, c.column]),
      [[scriptUri().fsPath, clip.range.start.line + 1, clip.range.start.character + 1]],
    );
    const highlightIs = (expected: object[], what: string) =>
      until(() => JSON.stringify(panel.highlightedMarkers) === JSON.stringify(expected), `${what}; have ${JSON.stringify(panel.highlightedMarkers)}`, 5000);

    const script = await vscode.window.showTextDocument(scriptUri(), { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(clip.range.start, clip.range.start) });
    await highlightIs([collapse], 'the collapse marker highlighted from the script');
    script.selection = new vscode.Selection(0, 0, 0, 0);
    await highlightIs([], 'no highlight off the problem');
    const line = run.markers[index].line! - 1;
    await vscode.window.showTextDocument(logUri(), { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(line, 3, line, 3) });
    await highlightIs([collapse], 'the collapse marker highlighted from the log line');
  });

  it('sends a log that grows while the panel is open as appends of its new points', async () => {
    const panel = api.currentPanel();
    assert.ok(panel, 'the panel tests above leave the panel open');
    const log = readFileSync(logUri().fsPath, 'utf8');
    const cut = log.indexOf('Epoch 27/50');
    const more = log.indexOf('Epoch 31/50');
    const live = vscode.Uri.joinPath(folder(), 'live-panel', 'train.log');
    await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(folder(), 'live-panel'));
    await vscode.workspace.fs.writeFile(live, Buffer.from(log.slice(0, cut)));
    const key = `${live.toString()}#0`;
    // A new run changes the run list: it arrives in a snapshot.
    await until(() => panel.sentRuns.some((r) => r.key === key), 'the new run in the panel');
    const posted: HostMessage[] = [];
    const subscription = panel.onDidPost((m) => posted.push(m));
    try {
      await appendFile(live.fsPath, log.slice(cut, more));
      const grown = () => panel.sentRuns.find((r) => r.key === key)?.series.find((s) => s.name === 'accuracy')?.x.length === 30;
      await until(grown, 'epochs 27-30 in the panel');
      assert.deepEqual(posted.map((m) => m.type).filter((t) => t !== 'highlight'), posted.filter((m) => m.type !== 'highlight').map(() => 'append'));
      const appended = posted.flatMap((m) => (m.type === 'append' ? m.runs.filter((r) => r.key === key).flatMap((r) => r.series) : []));
      // However the watcher split the growth into reads, the appends carry epochs 27-30 once each, in order.
      const accuracy = appended.filter((s) => s.name === 'accuracy');
      assert.equal(accuracy[0]?.from, 26);
      accuracy.slice(1).forEach((s, i) => assert.equal(s.from, accuracy[i].from + accuracy[i].x.length));
      assert.deepEqual(accuracy.flatMap((s) => s.x), [27, 28, 29, 30]);
    } finally {
      subscription.dispose();
      await vscode.workspace.fs.delete(vscode.Uri.joinPath(folder(), 'live-panel'), { recursive: true });
    }
  });
});
