// What the integration suites share: waiting for TrainDx's diagnostics (on change events, never sleeping) and for
// state that has no event, and reading a diagnostic's finding id.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { TrainDxApi } from '../../src/extension/extension';

export const EXTENSION_ID = 'traindx.traindx';

/** The extension's test API once it is active and its first scan of the workspace's logs is done. */
export async function activeApi(): Promise<TrainDxApi> {
  const extension = vscode.extensions.getExtension<TrainDxApi>(EXTENSION_ID);
  assert.ok(extension, 'extension not installed');
  const api = await extension.activate();
  await api.ready;
  return api;
}

/** The finding id a diagnostic carries as its code. */
export function codeOf(diagnostic: vscode.Diagnostic): string | undefined {
  const code = diagnostic.code;
  return typeof code === 'object' && code !== null ? String(code.value) : code === undefined ? undefined : String(code);
}

/** Resolves with the TrainDx diagnostics of `uri` once `accept` holds, waiting on change events (never sleeping). */
export function diagnosticsWhen(uri: vscode.Uri, accept: (diagnostics: vscode.Diagnostic[]) => boolean, timeoutMs = 20_000): Promise<vscode.Diagnostic[]> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const current = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'TrainDx');
      if (!accept(current)) return;
      subscription.dispose();
      clearTimeout(timer);
      resolve(current);
    };
    const subscription = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === uri.toString())) check();
    });
    const timer = setTimeout(() => {
      subscription.dispose();
      const got = vscode.languages.getDiagnostics(uri).map((d) => `${codeOf(d)}@${d.range.start.line}`);
      reject(new Error(`timed out waiting for diagnostics on ${uri.toString()}; have [${got.join(', ')}]`));
    }, timeoutMs);
    check();
  });
}

/** Polls a condition that has no event (the extension's own state, the panel's coalesced messages), with a deadline. */
export async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const withCode = (id: string) => (diagnostics: vscode.Diagnostic[]) => diagnostics.some((d) => codeOf(d) === id);
export const without = (id: string) => (diagnostics: vscode.Diagnostic[]) => !withCode(id)(diagnostics);
