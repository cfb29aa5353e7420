// Bundles the extension, the CLI, the webview and the test suites with esbuild, and copies the
// tree-sitter grammars next to the bundles that load them.
import * as esbuild from 'esbuild';
import { copyFileSync, cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { webTreeSitterPatch } from './web-tree-sitter-patch.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const production = process.argv.includes('--production');
const withTests = !process.argv.includes('--no-tests');
// Scripts bundled on request, so that they run the engine as the extension does (patched web-tree-sitter).
const scripts = { '--bench': ['scripts/bench.ts', 'out/bench.js'], '--eval': ['scripts/eval/run.ts', 'out/eval.js'] };

// Every bundle that includes web-tree-sitter gets its node wrappers patched (see web-tree-sitter-patch.mjs).
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning', absWorkingDir: root, plugins: [webTreeSitterPatch] };

rmSync(join(root, 'dist'), { recursive: true, force: true });
mkdirSync(join(root, 'dist'), { recursive: true });

const builds = [
  esbuild.build({ ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js',
    platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'] }),
  esbuild.build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js',
    platform: 'node', format: 'cjs', target: 'node20', banner: { js: '#!/usr/bin/env node' } }),
  esbuild.build({ ...common, entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js',
    platform: 'browser', format: 'iife', target: 'es2022' }),
];

if (withTests) {
  for (const dir of ['out/unit', 'out/integration']) rmSync(join(root, dir), { recursive: true, force: true });
  const unit = readdirSync(join(root, 'test/unit')).filter((f) => f.endsWith('.test.ts')).map((f) => `test/unit/${f}`);
  builds.push(
    esbuild.build({ ...common, sourcemap: true, entryPoints: unit, outdir: 'out/unit',
      platform: 'node', format: 'cjs', target: 'node20', external: ['fast-check'] }),
    esbuild.build({ ...common, sourcemap: true, entryPoints: ['test/integration/index.ts'], outdir: 'out/integration',
      platform: 'node', format: 'cjs', target: 'node20', external: ['vscode', 'mocha'] }),
  );
}

for (const [flag, [entry, outfile]] of Object.entries(scripts)) {
  if (process.argv.includes(flag)) builds.push(esbuild.build({ ...common, entryPoints: [entry], outfile, platform: 'node', format: 'cjs', target: 'node20' }));
}

await Promise.all(builds);

// The grammars: web-tree-sitter's runtime and the Python language.
const wasm = [
  require.resolve('web-tree-sitter/tree-sitter.wasm'),
  join(dirname(require.resolve('tree-sitter-python/package.json')), 'tree-sitter-python.wasm'),
];
for (const file of wasm) copyFileSync(file, join(root, 'dist', file.split(/[\\/]/).pop()));

// The finding documentation that diagnostics link to.
cpSync(join(root, 'docs'), join(root, 'dist', 'docs'), { recursive: true });
