/**
 * Reads `.ipynb` files for the CLI (and anything else that analyses files on disk): the notebook's cell
 * outputs through the detectors, its code cells through the code rules, positions per cell.
 */

import { readFile } from 'node:fs/promises';
import { analyzeNotebook, type CellCodeFinding, type CellRunAnalysis, type Notebook } from '../engine/notebook/index';
import { loadPythonParser } from './grammar';

/** A notebook and what TrainDx found in it. Cells are 0-based here; users read them 1-based. */
export interface NotebookReport {
  readonly file: string;
  readonly notebook: Notebook;
  readonly runs: CellRunAnalysis[];
  readonly code: CellCodeFinding[];
  readonly notes: string[];
}

export type NotebookRead =
  | { readonly ok: true; readonly report: NotebookReport }
  | { readonly ok: false; readonly file: string; readonly reason: string };

/** Reads and analyses one notebook; a file that cannot be read or is not a notebook gives the reason. */
export async function analyzeNotebookFile(file: string, options: { readonly ignore?: readonly string[] } = {}): Promise<NotebookRead> {
  let bytes;
  try {
    bytes = await readFile(file);
  } catch {
    return { ok: false, file, reason: `cannot read ${file}: no such file or not readable` };
  }
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, file, reason: `${file} is not valid UTF-8; notebooks are UTF-8 JSON` };
  }
  const parser = await loadPythonParser();
  const result = analyzeNotebook(text, file, parser, { ignore: options.ignore });
  if (!result.ok) return { ok: false, file, reason: `${file} ${result.reason}` };
  const { notebook, runs, code, notes } = result;
  return { ok: true, report: { file, notebook, runs, code, notes } };
}
