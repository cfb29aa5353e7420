import * as vscode from 'vscode';
import { DEFAULT_LOG_EXCLUDE, DEFAULT_LOG_INCLUDE, RULE_SEVERITIES, type RuleSeverity } from '../node/settings';

/** TrainDx's settings, read live through typed getters; defaults are written once in `src/node/settings.ts`. */
export class Config {
  private get section(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('traindx');
  }

  get logInclude(): readonly string[] {
    return this.strings('logs.include', DEFAULT_LOG_INCLUDE);
  }

  get logExclude(): readonly string[] {
    return this.strings('logs.exclude', DEFAULT_LOG_EXCLUDE);
  }

  /** Finding ids switched off entirely. */
  get ignoredRules(): readonly string[] {
    return this.strings('rules.ignore', []);
  }

  /** The severity the user chose for a finding id, if any. */
  severityOf(id: string): RuleSeverity | undefined {
    const value = this.section.get<Record<string, unknown>>('rules.severity', {})[id];
    return RULE_SEVERITIES.find((s) => s === value);
  }

  /** Log → script links set by the user, as workspace-relative paths. */
  get links(): Readonly<Record<string, string>> {
    const value = this.section.get<Record<string, unknown>>('links', {});
    return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
  }

  async setLink(log: string, script: string): Promise<void> {
    await this.section.update('links', { ...this.links, [log]: script }, vscode.ConfigurationTarget.Workspace);
  }

  private strings(key: string, fallback: readonly string[]): readonly string[] {
    const value = this.section.get<unknown>(key);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : fallback;
  }
}
