import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './fixtures';

/** Runs the built CLI (`npm test` builds before the unit tests). */
function analyze(folder: string) {
  const result = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'analyze', folder, '--format', 'json'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(result.stderr, '');
  return JSON.parse(result.stdout) as {
    runs: { source: string; findings: { id: string; related: { file: string; line: number }[] }[] }[];
  };
}

/** A project whose log is in logs/ and whose scripts are in src/: only the launch script says which wrote it. */
function project(launch: string | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), 'traindx-shell-'));
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, 'logs'));
  copyFileSync(join(ROOT, 'test/fixtures/code/seed000_gru_train.py'), join(dir, 'src', 'train.py'));
  writeFileSync(join(dir, 'src', 'evaluate.py'), 'import torch\nprint(torch.__version__)\n');
  copyFileSync(join(ROOT, 'test/fixtures/logs/seed000_gru_collapse_keras_verbose1.log'), join(dir, 'logs', 'train.log'));
  if (launch !== undefined) writeFileSync(join(dir, 'run.sh'), launch);
  return dir;
}

describe('traindx analyze: a log linked to its script by the shell script that launched the run', () => {
  it('links the collapse to src/train.py when run.sh runs `python src/train.py > logs/train.log`', () => {
    const dir = project('#!/bin/bash\nset -e\nCUDA_VISIBLE_DEVICES=0 nohup python -u src/train.py \\\n  --epochs 50 > logs/train.log 2>&1 &\n');
    try {
      const collapse = analyze(dir).runs[0].findings.find((f) => f.id === 'collapse')!;
      assert.deepEqual(collapse.related.map((r) => [r.file.slice(dir.length), r.line]), [['/src/train.py', 69]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves the log unlinked without the launch script (two scripts, neither beside the log), or when it names another log', () => {
    for (const launch of [undefined, 'python src/train.py > logs/other.log\n']) {
      const dir = project(launch);
      try {
        const collapse = analyze(dir).runs[0].findings.find((f) => f.id === 'collapse')!;
        assert.deepEqual(collapse.related, []);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
