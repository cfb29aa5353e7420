import { strict as assert } from 'node:assert';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { NewFolders, type NewFolderOptions } from '../../src/node/new-folders';

/** A temporary workspace and a NewFolders on it that records what it reports, with a clock the test moves. */
function setup(options: Partial<NewFolderOptions> = {}) {
  const root = mkdtempSync(join(tmpdir(), 'traindx-new-folders-'));
  const changed: string[] = [];
  const deleted: string[] = [];
  let now = 0;
  const folders = new NewFolders({
    isLog: (path) => path.endsWith('.log') || path.endsWith('.csv'),
    isExcluded: (path) => path.split('/').includes('node_modules'),
    changed: (path) => changed.push(path.slice(root.length + 1)),
    deleted: (path) => deleted.push(path.slice(root.length + 1)),
    now: () => now,
    ...options,
  });
  const write = (path: string, text: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const take = (list: string[]) => list.splice(0).sort();
  return { root, folders, changed, deleted, write, take, tick: (ms: number) => (now += ms), done: () => rmSync(root, { recursive: true, force: true }) };
}

describe('NewFolders (logs in folders the watcher does not see into)', () => {
  it('reports the logs already inside a folder tree when it appears, at any depth, and nothing else', async () => {
    const t = setup();
    t.write('runs/exp1/logs/train.log', 'epoch 1 loss 0.5\n');
    t.write('runs/exp1/metrics.csv', 'epoch,loss\n1,0.5\n');
    t.write('runs/exp1/model.pt', 'weights');
    t.write('runs/exp1/node_modules/x/debug.log', 'not a run');
    await t.folders.created(join(t.root, 'runs'));
    assert.deepEqual(t.take(t.changed), ['runs/exp1/logs/train.log', 'runs/exp1/metrics.csv']);
    await t.folders.poll();
    assert.deepEqual(t.changed, [], 'an unchanged log is not reported again');
    t.done();
  });

  it('reports a log created later, a log that grows, and a log that goes away, at the next poll', async () => {
    const t = setup();
    mkdirSync(join(t.root, 'runs/exp2/logs'), { recursive: true });
    await t.folders.created(join(t.root, 'runs'));
    assert.deepEqual(t.changed, []);
    t.write('runs/exp2/logs/train.log', 'epoch 1 loss 0.5\n');
    await t.folders.poll();
    assert.deepEqual(t.take(t.changed), ['runs/exp2/logs/train.log']);
    appendFileSync(join(t.root, 'runs/exp2/logs/train.log'), 'epoch 2 loss 0.4\n');
    await t.folders.poll();
    assert.deepEqual(t.take(t.changed), ['runs/exp2/logs/train.log']);
    rmSync(join(t.root, 'runs/exp2/logs/train.log'));
    await t.folders.poll();
    assert.deepEqual(t.take(t.deleted), ['runs/exp2/logs/train.log']);
    t.done();
  });

  it('follows one folder per tree: a folder inside a followed one is not added, a parent replaces its children', async () => {
    const t = setup();
    mkdirSync(join(t.root, 'a/b/c'), { recursive: true });
    await t.folders.created(join(t.root, 'a/b'));
    await t.folders.created(join(t.root, 'a/b/c'));
    assert.deepEqual(t.folders.followed, [join(t.root, 'a/b')]);
    await t.folders.created(join(t.root, 'a'));
    assert.deepEqual(t.folders.followed, [join(t.root, 'a')]);
    t.write('a/file.log', 'x');
    await t.folders.created(join(t.root, 'a/file.log'));
    assert.deepEqual(t.folders.followed, [join(t.root, 'a')], 'files are left to the watcher');
    t.done();
  });

  it('ignores excluded folders, files and paths that are gone', async () => {
    const t = setup();
    mkdirSync(join(t.root, 'node_modules/pkg'), { recursive: true });
    await t.folders.created(join(t.root, 'node_modules/pkg'));
    await t.folders.created(join(t.root, 'missing'));
    assert.deepEqual(t.folders.followed, []);
    t.done();
  });

  it('lets a folder go after a quiet spell, when it is deleted, and when it disappears, without reporting its logs', async () => {
    const t = setup({ idleMs: 1_000 });
    t.write('quiet/train.log', 'epoch 1 loss 0.5\n');
    t.write('deleted/train.log', 'epoch 1 loss 0.5\n');
    t.write('vanished/train.log', 'epoch 1 loss 0.5\n');
    for (const name of ['quiet', 'deleted', 'vanished']) await t.folders.created(join(t.root, name));
    t.take(t.changed);
    t.folders.deleted(join(t.root, 'deleted'));
    rmSync(join(t.root, 'vanished'), { recursive: true });
    await t.folders.poll();
    assert.deepEqual(t.folders.followed, [join(t.root, 'quiet')]);
    t.tick(1_001);
    await t.folders.poll();
    assert.deepEqual(t.folders.followed, []);
    assert.deepEqual(t.deleted, [], 'the watcher reports a deleted folder; its logs are not reported one by one');
    t.done();
  });

  it('keeps at most maxFolders, letting the oldest go', async () => {
    const t = setup({ maxFolders: 2 });
    for (const name of ['one', 'two', 'three']) {
      mkdirSync(join(t.root, name));
      await t.folders.created(join(t.root, name));
    }
    assert.deepEqual(t.folders.followed, [join(t.root, 'two'), join(t.root, 'three')]);
    t.done();
  });

  it('lists at most maxEntries entries a poll, folders taking turns, and lets go of a tree bigger than that', async () => {
    const t = setup({ maxEntries: 10 });
    for (const name of ['a', 'b']) {
      for (let i = 0; i < 6; i++) t.write(`${name}/f${i}.txt`, 'x');
      await t.folders.created(join(t.root, name));
    }
    t.write('a/train.log', 'epoch 1 loss 0.5\n');
    t.write('b/train.log', 'epoch 1 loss 0.5\n');
    // 7 entries each: one folder fits in a poll's 10, the other waits for the next poll.
    await t.folders.poll();
    assert.deepEqual(t.take(t.changed), ['a/train.log']);
    await t.folders.poll();
    assert.deepEqual(t.take(t.changed), ['b/train.log']);
    for (let i = 0; i < 11; i++) t.write(`big/f${i}.txt`, 'x');
    await t.folders.created(join(t.root, 'big'));
    assert.deepEqual(t.folders.followed, [join(t.root, 'a'), join(t.root, 'b')], 'a tree of 11 entries is let go');
    t.done();
  });

  it('keeps polling after a poll with nothing to follow (which finishes at once)', async () => {
    const t = setup();
    await t.folders.poll();
    await t.folders.poll();
    mkdirSync(join(t.root, 'later'));
    await t.folders.created(join(t.root, 'later'));
    t.write('later/train.log', 'epoch 1 loss 0.5\n');
    await t.folders.poll();
    assert.deepEqual(t.take(t.changed), ['later/train.log']);
    t.done();
  });

  it('joins a poll already under way instead of listing twice', async () => {
    const t = setup();
    t.write('runs/train.log', 'epoch 1 loss 0.5\n');
    mkdirSync(join(t.root, 'runs'), { recursive: true });
    await t.folders.created(join(t.root, 'runs'));
    t.take(t.changed);
    appendFileSync(join(t.root, 'runs/train.log'), 'epoch 2 loss 0.4\n');
    const first = t.folders.poll();
    assert.equal(t.folders.poll(), first);
    await first;
    assert.deepEqual(t.changed, ['runs/train.log']);
    t.done();
  });
});
