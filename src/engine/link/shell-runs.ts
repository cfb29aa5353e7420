/**
 * Which log a shell script's training command writes: `python train.py > train.log`,
 * `nohup python -u src/train.py --epochs 50 >> logs/run1.log 2>&1 &`, `torchrun --nproc_per_node=4 train.py |
 * tee train.log`, `accelerate launch train.py &> out.txt`. Shell is not Python: it is read line by line here
 * (continuation lines joined, comments dropped), and only literal paths count: a path built from a variable
 * (`$LOG_DIR/train.log`) cannot be resolved without running the shell, so it is left out.
 */

export interface ShellRun {
  /** The Python script as the command names it (`src/train.py`), relative to where the shell runs. */
  readonly script: string;
  /** A file the command's output goes to (`logs/train.log`). */
  readonly log: string;
  /** 1-based line of the command in the shell script. */
  readonly line: number;
}

/** Launchers that run a Python script given as their first non-option argument. */
const LAUNCHERS = new Set(['torchrun', 'deepspeed', 'horovodrun', 'mpirun', 'srun']);
/** Options of python and the launchers that take a separate value (`-W ignore`, `--nproc_per_node 4`). */
const VALUE_OPTIONS = new Set(['-W', '-X', '--nproc_per_node', '--nnodes', '--node_rank', '--master_addr', '--master_port', '--num_processes', '--config_file', '-np', '-n', '--rdzv_endpoint', '--rdzv_backend', '--rdzv_id']);
/** Commands that run the rest of the line as another command (`nohup python ...`, `time python ...`). */
const PREFIXES = new Set(['nohup', 'time', 'exec', 'env', 'stdbuf', 'unbuffer', 'uv', 'poetry', 'pipenv', 'conda', 'caffeinate']);

/** The training commands of a shell script and the files their output is written to. */
export function shellRuns(text: string): ShellRun[] {
  const out: ShellRun[] = [];
  for (const { line, command } of logicalLines(text)) {
    for (const pipeline of command.split(/\s*(?:&&|\|\||;)\s*/)) {
      const stages = pipeline.split(/\s*\|(?!\|)\s*/);
      const script = scriptOf(words(stages[0]));
      if (!script) continue;
      const logs = [...redirects(stages[0]), ...stages.slice(1).flatMap((stage) => teeFiles(words(stage)))];
      for (const log of logs) out.push({ script, log, line });
    }
  }
  return out;
}

/** Lines with their backslash continuations joined and `#` comments removed, with the first line's number. */
function logicalLines(text: string): { line: number; command: string }[] {
  const lines = text.split(/\r\n|\r|\n/);
  const out: { line: number; command: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let command = stripComment(lines[i]);
    while (command.endsWith('\\') && i + 1 < lines.length) command = command.slice(0, -1) + ' ' + stripComment(lines[++i]);
    if (command.trim()) out.push({ line: start + 1, command: command.trim() });
  }
  return out;
}

/** Drops a `#` comment that starts a word outside quotes. */
function stripComment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) {
      return line.slice(0, i);
    }
  }
  return line;
}

/** Shell words, with simple quoting removed; a word holding `$` or a backtick is kept as is (not literal). */
function words(command: string): string[] {
  const out: string[] = [];
  for (const match of command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) out.push(match[1] ?? match[2] ?? match[3]);
  return out;
}

function literal(path: string | undefined): path is string {
  return path !== undefined && path.length > 0 && !/[$`*?]/.test(path) && path !== '/dev/null';
}

/** The `.py` script a command runs with python or a launcher, skipping environment assignments and options. */
function scriptOf(argv: readonly string[]): string | undefined {
  let i = 0;
  // `CUDA_VISIBLE_DEVICES=0 OMP_NUM_THREADS=4 python ...`, `nohup`, `uv run python ...`
  while (i < argv.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[i]) || PREFIXES.has(argv[i]) || argv[i] === 'run')) i++;
  const program = (argv[i] ?? '').split('/').pop() ?? '';
  if (program === 'accelerate' && argv[i + 1] === 'launch') i++;
  else if (!/^python[0-9.]*$/.test(program) && !LAUNCHERS.has(program)) return undefined;
  for (i++; i < argv.length; i++) {
    const word = argv[i];
    if (word === '-m' || word === '-c') return undefined; // a module or inline code: no script file to point at
    if (word.startsWith('-')) {
      if (VALUE_OPTIONS.has(word)) i++;
      continue;
    }
    return word.endsWith('.py') && literal(word) ? word : undefined;
  }
  return undefined;
}

/** Files stdout or stderr is redirected to: `> f`, `>> f`, `>f`, `1> f`, `2> f`, `&> f`, `&>> f`. */
function redirects(command: string): string[] {
  const out: string[] = [];
  for (const match of command.matchAll(/(?:^|\s)(?:[12]|&)?>>?(?!&)\s*("[^"]*"|'[^']*'|[^\s;&|<>]+)/g)) {
    const file = match[1].replace(/^["']|["']$/g, '');
    if (literal(file)) out.push(file);
  }
  return out;
}

/** The files of `tee [-a] f1 f2`. */
function teeFiles(argv: readonly string[]): string[] {
  if (argv[0] !== 'tee') return [];
  return argv.slice(1).filter((w) => !w.startsWith('-') && literal(w));
}
