import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadPythonParser } from '../node/grammar';
import { analyzePaths, InputError, readScript } from '../node/workspace-analysis';
import { fixText } from './fix';
import { hasProblems, isProblem, toJson, toSarif, toText } from './format';

const USAGE = `usage:
  traindx analyze PATH... [--script FILE.py] [--format text|json|sarif]
  traindx fix FILE.py [--rule ID]... [--unsafe] [--stdout | --write]

analyze  reads training logs, folders of runs, Python training scripts and Jupyter notebooks and reports problems.
         Exit code 0: no problem at warning level or above; 1: problems found; 2: usage or input error.
fix      applies TrainDx's safe fixes to a training script (--unsafe: also those that change training,
         such as gradient clipping) and prints the result (--stdout, the default) or writes it (--write).`;

/** Exit codes of the contract. */
const OK = 0;
const PROBLEMS = 1;
const ERROR = 2;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'analyze':
      return analyze(rest);
    case 'fix':
      return fix(rest);
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE + '\n');
      return OK;
    case undefined:
      throw new UsageError('missing command');
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

/** Runs an argument parse, turning its complaints into usage errors. */
function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

async function analyze(args: string[]): Promise<number> {
  const { values, positionals } = usage(() =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { format: { type: 'string', default: 'text' }, script: { type: 'string' } },
    }),
  );
  const format = values.format;
  if (!['text', 'json', 'sarif'].includes(format)) throw new UsageError(`unknown format '${format}' (text, json or sarif)`);
  if (positionals.length === 0) throw new UsageError('analyze needs at least one PATH');
  const report = await analyzePaths(positionals, { script: values.script });
  const output = format === 'json' ? toJson(report) : format === 'sarif' ? toSarif(report) : toText(report);
  process.stdout.write(output + '\n');
  return hasProblems(report) ? PROBLEMS : OK;
}

async function fix(args: string[]): Promise<number> {
  const { values, positionals } = usage(() =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        rule: { type: 'string', multiple: true, default: [] },
        unsafe: { type: 'boolean', default: false },
        stdout: { type: 'boolean', default: false },
        write: { type: 'boolean', default: false },
      },
    }),
  );
  if (positionals.length !== 1) throw new UsageError('fix needs exactly one FILE.py');
  if (values.stdout && values.write) throw new UsageError('choose one of --stdout and --write');
  const [file] = positionals;
  if (!file.endsWith('.py')) throw new UsageError(`fix works on Python files; ${file} is not one`);
  const text = await readScript(file);
  const parser = await loadPythonParser();
  const result = fixText(parser, text, file, { rules: values.rule, unsafe: values.unsafe });

  if (values.write) {
    if (result.text !== text) await writeFile(file, result.text, 'utf8');
  } else {
    process.stdout.write(result.text);
  }
  for (const { id, title } of result.applied) process.stderr.write(`fixed [${id}] ${title}\n`);
  const left = result.remaining.filter((f) => isProblem(f.severity));
  // Hints count too: an unclipped RNN is `info` until a log shows the damage, and its fix is still on offer.
  const unsafeLeft = result.remaining.filter((f) => f.fixes.some((x) => !x.safe)).length;
  process.stderr.write(
    `${result.applied.length} fix${result.applied.length === 1 ? '' : 'es'} applied to ${file}, ${left.length} problem${left.length === 1 ? '' : 's'} left` +
      (unsafeLeft > 0 && !values.unsafe ? ` (${unsafeLeft} finding${unsafeLeft === 1 ? ' has an unsafe fix' : 's have unsafe fixes'}: add --unsafe)` : '') + '\n',
  );
  return left.length > 0 ? PROBLEMS : OK;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`traindx: ${error.message}\n${USAGE}\n`);
    } else if (error instanceof InputError) {
      process.stderr.write(`traindx: ${error.message}\n`);
    } else {
      // Never a stack trace: one line, and the details only when asked for.
      process.stderr.write(`traindx: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
      if (process.env.TRAINDX_DEBUG) console.error(error);
    }
    process.exitCode = ERROR;
  },
);
