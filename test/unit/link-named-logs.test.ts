import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { namedLogPaths, namesLog } from '../../src/engine/link/named-logs';
import { loadPythonParser } from '../../src/node/grammar';

describe('logs a script names', () => {
  it('reads the paths given to the usual log writers, and files opened for writing', async () => {
    const parser = await loadPythonParser();
    const script = [
      'import logging',
      'from tensorflow.keras.callbacks import CSVLogger, TensorBoard',
      'from torch.utils.tensorboard import SummaryWriter',
      "logging.basicConfig(filename='logs/train.log', level=logging.INFO)",
      "handler = logging.FileHandler(filename=\"run.log\")",
      "cb = [CSVLogger('history.csv'), TensorBoard(log_dir='tb/exp1')]",
      "writer = SummaryWriter('runs/gru')",
      "with open('metrics.txt', 'w') as f: pass",
      "with open('config.yaml') as f: pass",
      "out = open(f'{name}.log', 'w')",
      '# CSVLogger("commented.csv") is not a call',
    ].join('\n');
    assert.deepEqual(namedLogPaths(parser, script), ['logs/train.log', 'run.log', 'history.csv', 'tb/exp1', 'runs/gru', 'metrics.txt']);
  });

  it('matches a log whose path ends with a named file, or lies in a named folder', () => {
    assert.equal(namesLog(['logs/train.log'], '/home/u/proj/logs/train.log'), true);
    assert.equal(namesLog(['./history.csv'], 'proj\\history.csv'), true);
    assert.equal(namesLog(['runs/gru'], '/p/runs/gru/events.out.tfevents.1.host'), true);
    assert.equal(namesLog(['runs/gru'], '/p/runs/lstm/events.out.tfevents.1.host'), false);
    assert.equal(namesLog(['train.log'], '/p/other_train.log'), false);
    assert.equal(namesLog([], '/p/train.log'), false);
  });
});
