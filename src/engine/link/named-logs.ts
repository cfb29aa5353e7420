import { descendants, calleeName, keywordArgument, lastSegment, positionalArguments, stringValue, type PythonParser, type SyntaxNode } from '../code/python';

/**
 * Where a script says it writes its logs: the string literals it hands to the usual log writers. Each
 * entry is the path as written in the script (relative to wherever the script runs from).
 */
const WRITERS: Readonly<Record<string, { readonly keyword: string; readonly position: number }>> = {
  CSVLogger: { keyword: 'filename', position: 0 }, // Keras; Lightning's CSVLogger(save_dir) too
  SummaryWriter: { keyword: 'log_dir', position: 0 }, // torch.utils.tensorboard, tensorboardX
  TensorBoard: { keyword: 'log_dir', position: 0 }, // Keras callback
  TensorBoardLogger: { keyword: 'save_dir', position: 0 }, // Lightning
  FileHandler: { keyword: 'filename', position: 0 }, // logging
  RotatingFileHandler: { keyword: 'filename', position: 0 },
  basicConfig: { keyword: 'filename', position: -1 }, // logging.basicConfig(filename=...)
};

/** The log paths a training script names, read from its syntax tree (never from its text). */
export function namedLogPaths(parser: PythonParser, text: string): string[] {
  return parser.withTree(text, (tree) => {
    const paths: string[] = [];
    for (const call of descendants(tree.rootNode, 'call')) {
      const name = calleeName(call);
      if (!name) continue;
      const short = lastSegment(name);
      const writer = WRITERS[short];
      if (writer) {
        const arg = keywordArgument(call, writer.keyword) ?? (writer.position >= 0 ? positionalArguments(call)[writer.position] ?? null : null);
        push(paths, stringValue(arg));
      } else if (name === 'open' && writesTo(call)) {
        push(paths, stringValue(positionalArguments(call)[0] ?? null));
      }
    }
    return paths;
  });
}

/** `open(path, 'w')` or `'a'`: a file written, not read. */
function writesTo(call: SyntaxNode): boolean {
  const mode = stringValue(keywordArgument(call, 'mode') ?? positionalArguments(call)[1] ?? null);
  return mode !== null && /[wax]/.test(mode);
}

function push(paths: string[], value: string | null): void {
  if (value && value.trim() && !paths.includes(value)) paths.push(value);
}

/** Path segments, without `.` and empty ones, separators of either kind. */
function segments(path: string): string[] {
  return path.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
}

/**
 * Whether a log file is one the script names: the named path (a file, or a folder the log lies in) is
 * a trailing part of the log's path. Scripts run from various folders, so only the tail can be compared.
 */
export function namesLog(named: readonly string[], logPath: string): boolean {
  const log = segments(logPath);
  return named.some((path) => {
    const want = segments(path).filter((s) => s !== '..');
    if (want.length === 0) return false;
    // A file: the log's last segments. A folder (SummaryWriter('runs/exp1')): a run of segments above the file.
    for (let end = log.length; end >= want.length; end--) {
      if (want.every((s, i) => log[end - want.length + i] === s)) return true;
    }
    return false;
  });
}
