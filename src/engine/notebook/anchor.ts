/**
 * Where in a cell's source a problem seen in its output belongs: the line that starts the training (a
 * `fit(`/`train(` call, else the first loop), so that the editor can show it on the cell's code.
 */

import { calleeName, descendants, methodName, type PythonParser } from '../code/python';
import { LineIndex } from '../text';
import { blankMagics } from './script';

/** Calls that train a model: Keras and Lightning `fit`, Hugging Face `train`, and their older spellings. */
const TRAINING_CALLS = new Set(['fit', 'fit_generator', 'train', 'train_model']);

/** The 1-based line of a cell's source where its training starts; 1 when nothing there looks like training. */
export function trainingLine(parser: PythonParser, source: string): number {
  const text = blankMagics(parser, source);
  return parser.withTree(text, (tree) => {
    const call = descendants(tree.rootNode, 'call').find((c) => TRAINING_CALLS.has(methodName(c) ?? calleeName(c) ?? ''));
    const loops = descendants(tree.rootNode, ['for_statement', 'while_statement']);
    const anchor = call ?? loops[0];
    return anchor ? new LineIndex(text).positionAt(anchor.startIndex).line : 1;
  });
}
