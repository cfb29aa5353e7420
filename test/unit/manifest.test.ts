import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ACTIVATION_GLOBS, DEFAULT_LOG_EXCLUDE, DEFAULT_LOG_INCLUDE } from '../../src/node/settings';
import { ROOT } from './fixtures';

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

describe('package.json', () => {
  it('repeats the log glob defaults written in src/node/settings.ts', () => {
    const props = manifest.contributes.configuration.properties;
    assert.deepEqual(props['traindx.logs.include'].default, DEFAULT_LOG_INCLUDE);
    assert.deepEqual(props['traindx.logs.exclude'].default, DEFAULT_LOG_EXCLUDE);
  });

  it('activates narrowly: on training artefacts, Python and the panel, never on *', () => {
    assert.ok(!manifest.activationEvents.includes('*'));
    const workspaceContains = manifest.activationEvents.filter((e: string) => e.startsWith('workspaceContains:'));
    assert.deepEqual(workspaceContains, ACTIVATION_GLOBS.map((g) => `workspaceContains:${g}`));
    assert.ok(!ACTIVATION_GLOBS.includes('**/*.csv'), 'any CSV file is too broad a reason to activate');
    assert.ok(manifest.activationEvents.includes('onLanguage:python'));
    assert.ok(manifest.activationEvents.includes('onWebviewPanel:traindx.curves'));
  });

  it('lists every finding id the engine can report in the settings schema, each with its doc page', async () => {
    const { DETECTORS } = await import('../../src/engine/curves');
    const { RULES } = await import('../../src/engine/code');
    const ids: string[] = manifest.contributes.configuration.properties['traindx.rules.ignore'].items.enum;
    for (const { id, docs } of [...DETECTORS, ...RULES]) {
      assert.ok(ids.includes(id), `${id} missing from traindx.rules.ignore`);
      assert.equal(docs, `docs/rules/${id}.md`);
      const page = readFileSync(join(ROOT, docs), 'utf8');
      for (const section of ['## What it detects', '## Why it matters', '## How to fix', '## Example']) {
        assert.ok(page.includes(section), `${docs} lacks "${section}"`);
      }
    }
  });
});
