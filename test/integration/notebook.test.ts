// Notebooks in a real VS Code: the seed-000 Keras notebook opened in the notebook editor gives the collapse
// on the `fit` cell (its output shows it) and `rnn-no-grad-clip` on the optimizer in the model cell, linked;
// the clipping quick fix edits the model cell; an output that changes (a cell run again) is read again.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { TrainDxApi } from '../../src/extension/extension';
import { activeApi, codeOf, diagnosticsWhen, until, withCode, without } from './helpers';

/** Cells of `notebook/gru.ipynb`, 0-based as VS Code counts them: the model cell and the `fit` cell. */
const MODEL_CELL = 3;
const FIT_CELL = 4;

const notebookUri = () => vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'notebook', 'gru.ipynb');

describe('TrainDx in a Jupyter notebook', () => {
  let notebook: vscode.NotebookDocument;
  let api: TrainDxApi;

  before(async () => {
    api = await activeApi();
    notebook = await vscode.workspace.openNotebookDocument(notebookUri());
    await vscode.window.showNotebookDocument(notebook);
  });

  it('puts the collapse on the fit cell, whose output shows it, linked to the optimizer in the model cell', async () => {
    const fit = notebook.cellAt(FIT_CELL).document;
    const diagnostics = await diagnosticsWhen(fit.uri, withCode('collapse'));
    const collapse = diagnostics.find((d) => codeOf(d) === 'collapse')!;
    assert.equal(collapse.severity, vscode.DiagnosticSeverity.Warning);
    assert.equal(collapse.range.start.line, 0);
    assert.match(fit.lineAt(0).text, /^history = model\.fit\(/);
    assert.match(collapse.message, /^train `accuracy` collapsed from 0\.99 \(epoch 24\) to 0\.51 at epoch 27.* \(output line 54\)$/);
    const related = collapse.relatedInformation ?? [];
    assert.equal(related.length, 1);
    assert.equal(related[0].location.uri.toString(), notebook.cellAt(MODEL_CELL).document.uri.toString());
    assert.equal(related[0].location.range.start.line, 6);
    assert.match(related[0].message, /^possible cause \(rnn-no-grad-clip\)/);
  });

  it('shows the fit cell\'s run in the curve panel, selected while the notebook is active, with the collapse marker', async () => {
    await vscode.window.showNotebookDocument(notebook, { viewColumn: vscode.ViewColumn.One });
    await vscode.commands.executeCommand('traindx.showCurves');
    const panel = api.currentPanel();
    assert.ok(panel, 'no panel after TrainDx: Show Training Curves');
    await panel.isReady;
    const shown = () => {
      const message = panel.lastMessage;
      if (message?.type !== 'snapshot') return undefined;
      const run = message.runs.find((r) => r.key === message.selected);
      return run && /gru\.ipynb · cell 5$/.test(run.label) ? run : undefined;
    };
    await until(() => shown() !== undefined, 'the notebook run to be selected in the panel');
    const run = shown()!;
    assert.deepEqual(run.series.map((s) => s.name).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    assert.deepEqual(run.markers.filter((m) => m.id === 'collapse').map((m) => [m.x, m.xEnd]), [[24, 27]]);
  });

  it('lists the fit cell\'s run and its collapse in the Training Runs view; the collapse reveals the fit cell', async () => {
    const label = (n: ReturnType<typeof api.runsView.getChildren>[number]) => (n.kind === 'run' ? n.run.label : '?');
    const runs = api.runsView.getChildren();
    const cellRun = runs.find((n) => n.kind === 'run' && /gru\.ipynb · cell 5$/.test(n.run.label));
    assert.ok(cellRun, `runs: ${runs.map(label).join(', ')}`);
    assert.match(String(api.runsView.getTreeItem(cellRun).description), /^epoch 50 · \d+ problems?$/);
    const collapse = api.runsView.getChildren(cellRun).find((n) => n.kind === 'finding' && n.finding.id === 'collapse');
    assert.ok(collapse, 'no collapse under the notebook run');
    const command = api.runsView.getTreeItem(collapse).command!;
    assert.equal(command.command, 'traindx.revealNotebookRun');
    // Another cell selected, then the finding's command: the notebook shows the fit cell, selected. (No other
    // editor is opened: the browser checks expect the editors as the suites before left them.)
    const editor = await vscode.window.showNotebookDocument(notebook, { viewColumn: vscode.ViewColumn.One });
    editor.selections = [new vscode.NotebookRange(0, 1)];
    await vscode.commands.executeCommand(command.command, ...(command.arguments ?? []));
    await until(() => vscode.window.activeNotebookEditor?.selections[0]?.start === FIT_CELL, 'the fit cell to be selected');
    assert.equal(vscode.window.activeNotebookEditor!.notebook.uri.toString(), notebook.uri.toString());
    assert.deepEqual(vscode.window.activeNotebookEditor!.selections.map((s) => [s.start, s.end]), [[FIT_CELL, FIT_CELL + 1]]);
  });

  it('puts rnn-no-grad-clip on the model cell and applies its quick fix to that cell', async () => {
    const model = notebook.cellAt(MODEL_CELL).document;
    assert.equal(model.languageId, 'python');
    const [finding] = (await diagnosticsWhen(model.uri, withCode('rnn-no-grad-clip'))).filter((d) => codeOf(d) === 'rnn-no-grad-clip');
    assert.equal(model.getText(finding.range), 'keras.optimizers.Adam(learning_rate=1e-3)');
    assert.equal(finding.severity, vscode.DiagnosticSeverity.Warning);
    const toOutput = (finding.relatedInformation ?? []).filter((r) => r.message.startsWith('output line 54: collapse'));
    assert.deepEqual(toOutput.map((r) => [r.location.uri.toString(), r.location.range.start.line]), [[notebook.cellAt(FIT_CELL).document.uri.toString(), 0]]);

    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', model.uri, finding.range);
    const fix = actions.find((a) => a.title.startsWith('Clip gradients'));
    assert.ok(fix, `no clipping fix among: ${actions.map((a) => a.title).join(' | ')}`);
    assert.ok(!fix.isPreferred, 'a fix that changes training must not be preferred');
    assert.ok(fix.edit && (await vscode.workspace.applyEdit(fix.edit)));
    assert.equal(
      model.lineAt(6).text,
      'model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3, clipnorm=1.0), loss="binary_crossentropy", metrics=["accuracy"])',
    );
    await diagnosticsWhen(model.uri, without('rnn-no-grad-clip'));
    // The collapse stays, no longer linked to a cause.
    const collapse = (await diagnosticsWhen(notebook.cellAt(FIT_CELL).document.uri, (d) => withCode('collapse')(d) && d.every((x) => (x.relatedInformation ?? []).length === 0)));
    assert.equal(collapse.filter((d) => codeOf(d) === 'collapse').length, 1);
  });

  it('reads a cell\'s output again when it changes, as when the cell runs again', async () => {
    const cell = notebook.cellAt(FIT_CELL);
    const text = new TextDecoder().decode(cell.outputs[0].items.find((i) => i.mime === 'application/vnd.code.notebook.stdout')!.data);
    const replaceOutput = async (output: string) => {
      const data = new vscode.NotebookCellData(vscode.NotebookCellKind.Code, cell.document.getText(), 'python');
      data.outputs = [new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.stdout(output)])];
      const edit = new vscode.WorkspaceEdit();
      edit.set(notebook.uri, [vscode.NotebookEdit.replaceCells(new vscode.NotebookRange(FIT_CELL, FIT_CELL + 1), [data])]);
      assert.ok(await vscode.workspace.applyEdit(edit));
    };
    // The first 20 epochs: no collapse yet.
    await replaceOutput(text.slice(0, text.indexOf('Epoch 21/50')));
    await diagnosticsWhen(notebook.cellAt(FIT_CELL).document.uri, without('collapse'));
    // The whole run: the collapse is back.
    await replaceOutput(text);
    await diagnosticsWhen(notebook.cellAt(FIT_CELL).document.uri, withCode('collapse'));
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
