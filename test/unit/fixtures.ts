import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The repository root, from the bundled test in `out/unit/` or the source in `test/unit/`. */
export const ROOT = join(__dirname, '..', '..');

/** Reads a file under `test/fixtures/` as UTF-8 text. */
export function fixture(path: string): string {
  return readFileSync(join(ROOT, 'test', 'fixtures', path), 'utf8');
}

/** Every Python file under `test/fixtures/code/`, as paths for {@link fixture}, in a stable order. */
export function codeFixturePaths(dir: string = join(ROOT, 'test', 'fixtures', 'code')): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...codeFixturePaths(path));
    else if (name.endsWith('.py')) out.push(relative(join(ROOT, 'test', 'fixtures'), path));
  }
  return out;
}

/** The real and real-shaped text logs (under `test/fixtures/`) that the text parser's tests run over. */
export const TEXT_LOG_FIXTURES: readonly string[] = [
  'corpus/cifar10_hparam_search_multirun.log',
  'corpus/fer_emotion_pytorch_logging_training.log',
  'corpus/mmdet2_maskrcnn_sockets_loss_falls_map_near_zero_mm.md',
  'corpus/pytorch_wordlm_lstm_healthy.md',
  'corpus/tqdm_deeplense_linear_probe_LP.md',
  'logs-text/tqdm_postfix_no_desc.log',
  'logs-text/hf_trainer_prints.log',
  'logs-text/lightning_progress_bar.log',
  'logs-text/rank_ansi_crlf.log',
  'logs-text/kv_pairs_validation_line.log',
  'logs-text/pytorch_mnist_example.log',
];

/** The byte arrays one after the other, in one array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
