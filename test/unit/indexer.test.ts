import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Indexer, Priority, type IndexerOptions, type IndexProgress } from '../../src/node/indexer';

/** A promise the test resolves by hand: a read that is still in progress. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** An indexer whose reads are recorded, with a turn counter instead of the event loop. */
function recording(options: Partial<IndexerOptions> = {}) {
  const reads: string[] = [];
  let turns = 0;
  const indexer = new Indexer({
    read: async (path) => {
      reads.push(path);
    },
    yieldTurn: async () => {
      turns++;
    },
    ...options,
  });
  return { indexer, reads, turns: () => turns };
}

describe('Indexer', () => {
  it('reads visible files first, then open ones, then the rest, each level in arrival order', async () => {
    const { indexer, reads } = recording();
    indexer.add('a.log');
    indexer.add('b.log', Priority.open);
    indexer.add('c.log');
    indexer.add('d.log', Priority.visible);
    indexer.add('e.log', Priority.open);
    indexer.add('f.log', Priority.visible);
    await indexer.idle();
    assert.deepEqual(reads, ['d.log', 'f.log', 'b.log', 'e.log', 'a.log', 'c.log']);
  });

  it('moves a waiting file forward when it is bumped, and never back', async () => {
    const first = deferred();
    const reads: string[] = [];
    const indexer = new Indexer({
      read: async (path) => {
        reads.push(path);
        if (path === 'first.log') await first.promise;
      },
    });
    indexer.add('first.log');
    await Promise.resolve();
    await Promise.resolve();
    assert.deepEqual(reads, ['first.log']);
    for (const name of ['x.log', 'y.log', 'z.log', 'w.log']) indexer.add(name);
    indexer.bump('z.log', Priority.visible);
    indexer.add('w.log', Priority.open);
    indexer.add('z.log', Priority.background); // lower than it has: stays visible
    indexer.bump('never-queued.log', Priority.visible); // a bump does not queue
    assert.equal(indexer.has('never-queued.log'), false);
    assert.equal(indexer.has('z.log'), true);
    first.resolve();
    await indexer.idle();
    assert.deepEqual(reads, ['first.log', 'z.log', 'w.log', 'x.log', 'y.log']);
    assert.equal(indexer.has('z.log'), false);
  });

  it('queues a bumped file that is queued again after its read at the back, not at its old place', async () => {
    const first = deferred();
    const reads: string[] = [];
    const indexer = new Indexer({
      read: async (path) => {
        reads.push(path);
        if (path === 'first.log') await first.promise;
        if (path === 'z.log' && reads.length === 2) indexer.add('z.log'); // it changed while being read
      },
    });
    indexer.add('first.log');
    await Promise.resolve();
    await Promise.resolve();
    for (const name of ['x.log', 'z.log', 'y.log']) indexer.add(name);
    indexer.bump('z.log', Priority.visible);
    first.resolve();
    await indexer.idle();
    assert.deepEqual(reads, ['first.log', 'z.log', 'x.log', 'y.log', 'z.log']);
  });

  it('reads one file at a time, and once more a file queued again while it was read', async () => {
    let active = 0;
    let most = 0;
    const reads: string[] = [];
    const gate = deferred();
    const indexer = new Indexer({
      read: async (path) => {
        active++;
        most = Math.max(most, active);
        reads.push(path);
        if (reads.length === 1) await gate.promise;
        await new Promise((r) => setImmediate(r));
        active--;
      },
    });
    indexer.add('train.log');
    indexer.add('other.log');
    await new Promise((r) => setImmediate(r));
    indexer.add('train.log', Priority.visible); // it changed while being read
    gate.resolve();
    await indexer.idle();
    assert.deepEqual(reads, ['train.log', 'train.log', 'other.log']);
    assert.equal(most, 1);
  });

  it('reports progress as done/total over the files queued since it was last idle', async () => {
    const seen: IndexProgress[] = [];
    const { indexer } = recording({ onProgress: (p) => seen.push(p) });
    indexer.add('a.log');
    indexer.add('b.log');
    indexer.add('a.log', Priority.visible); // a bump is not a new file
    indexer.add('c.log');
    await indexer.idle();
    assert.deepEqual(seen, [
      { done: 0, total: 1 },
      { done: 0, total: 2 },
      { done: 0, total: 2 },
      { done: 0, total: 3 },
      { done: 1, total: 3 },
      { done: 2, total: 3 },
      { done: 3, total: 3 },
    ]);
    assert.deepEqual(indexer.progress, { done: 0, total: 0 });
    indexer.add('d.log');
    assert.deepEqual(indexer.progress, { done: 0, total: 1 });
    await indexer.idle();
  });

  it('goes on after a read that throws, and says which file failed', async () => {
    const failed: [string, unknown][] = [];
    const reads: string[] = [];
    const boom = new Error('EACCES');
    const indexer = new Indexer({
      read: async (path) => {
        reads.push(path);
        if (path === 'b.log') throw boom;
      },
      onError: (path, error) => failed.push([path, error]),
    });
    for (const name of ['a.log', 'b.log', 'c.log']) indexer.add(name);
    await indexer.idle();
    assert.deepEqual(reads, ['a.log', 'b.log', 'c.log']);
    assert.deepEqual(failed, [['b.log', boom]]);
  });

  it('stops when disposed: the read in progress ends, nothing else starts, idle() resolves', async () => {
    const gate = deferred();
    const reads: string[] = [];
    const indexer = new Indexer({
      read: async (path) => {
        reads.push(path);
        await gate.promise;
      },
    });
    for (const name of ['a.log', 'b.log', 'c.log']) indexer.add(name);
    const idle = indexer.idle();
    await new Promise((r) => setImmediate(r));
    indexer.dispose();
    assert.equal(indexer.has('b.log'), false);
    gate.resolve();
    await idle;
    indexer.add('d.log');
    await indexer.idle();
    assert.deepEqual(reads, ['a.log']);
  });

  it('idle() resolves at once when nothing is queued', async () => {
    const { indexer, reads } = recording();
    await indexer.idle();
    assert.deepEqual(reads, []);
  });

  it('gives the event loop a turn after every file and when a slice of work runs past sliceMs', async () => {
    let clock = 0;
    const events: string[] = [];
    const indexer = new Indexer({
      sliceMs: 10,
      now: () => clock,
      yieldTurn: async () => {
        events.push(`turn@${clock}`);
      },
      read: async (path, checkpoint) => {
        // Five steps of 4 ms each: the slice passes 10 ms at the third; each file starts a new slice.
        for (let step = 0; step < 5; step++) {
          clock += 4;
          events.push(`${path}:${step}`);
          await checkpoint();
        }
      },
    });
    indexer.add('a.log');
    indexer.add('b.log');
    await indexer.idle();
    assert.deepEqual(events, [
      'a.log:0', 'a.log:1', 'a.log:2', 'turn@12', 'a.log:3', 'a.log:4', 'turn@20',
      'b.log:0', 'b.log:1', 'b.log:2', 'turn@32', 'b.log:3', 'b.log:4', 'turn@40',
    ]);
  });

  it('lets other tasks of the real event loop run between files that read without any I/O', async () => {
    const log: string[] = [];
    const indexer = new Indexer({
      read: async (path) => {
        log.push(path);
      },
    });
    for (const name of ['a.log', 'b.log', 'c.log']) indexer.add(name);
    let ticking = true;
    const tick = () => {
      if (!ticking) return;
      log.push('tick');
      setImmediate(tick);
    };
    setImmediate(tick);
    await indexer.idle();
    ticking = false;
    assert.deepEqual(log, ['a.log', 'tick', 'b.log', 'tick', 'c.log', 'tick']);
  });
});
