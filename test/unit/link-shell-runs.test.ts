import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { shellRuns } from '../../src/engine/link/shell-runs';

const pairs = (text: string) => shellRuns(text).map((r) => [r.script, r.log, r.line]);

describe('shellRuns: the log a shell script writes with its training command', () => {
  it('reads redirects: >, >>, 1>, 2>, &>, with or without a space, 2>&1 left out', () => {
    assert.deepEqual(pairs('python train.py > train.log\n'), [['train.py', 'train.log', 1]]);
    assert.deepEqual(pairs('python3 -u src/train.py --epochs 50 >> logs/run1.log 2>&1'), [['src/train.py', 'logs/run1.log', 1]]);
    assert.deepEqual(pairs('python train.py 1>out.txt 2>err.txt'), [['train.py', 'out.txt', 1], ['train.py', 'err.txt', 1]]);
    assert.deepEqual(pairs('python train.py &> "all output.log"'), [['train.py', 'all output.log', 1]]);
  });

  it('reads tee at the end of a pipeline', () => {
    assert.deepEqual(pairs('python train.py --lr 1e-3 | tee -a logs/train.log'), [['train.py', 'logs/train.log', 1]]);
    assert.deepEqual(pairs('python train.py 2>&1 | tee train.log | grep loss'), [['train.py', 'train.log', 1]]);
  });

  it('skips environment assignments, nohup and the like, and reads launchers and their options', () => {
    assert.deepEqual(pairs('CUDA_VISIBLE_DEVICES=0,1 OMP_NUM_THREADS=4 nohup python train.py > nohup.out 2>&1 &'), [['train.py', 'nohup.out', 1]]);
    assert.deepEqual(pairs('torchrun --nproc_per_node 4 --master_port=29501 train_ddp.py --bs 64 > ddp.log'), [['train_ddp.py', 'ddp.log', 1]]);
    assert.deepEqual(pairs('accelerate launch --num_processes 2 finetune.py | tee finetune.log'), [['finetune.py', 'finetune.log', 1]]);
    assert.deepEqual(pairs('/opt/conda/bin/python3.10 -W ignore train.py > t.log'), [['train.py', 't.log', 1]]);
  });

  it('joins continuation lines, drops comments, splits on && and ;, and counts lines from the command\'s first', () => {
    const script = [
      '#!/bin/bash',
      'set -e  # stop on errors',
      'mkdir -p logs && python train.py \\',
      '    --epochs 50 \\',
      '    > logs/train.log  # the run we plot',
      '# python old.py > old.log',
      'echo done; python eval.py > logs/eval.log',
    ].join('\n');
    assert.deepEqual(pairs(script), [['train.py', 'logs/train.log', 3], ['eval.py', 'logs/eval.log', 7]]);
  });

  it('leaves out what cannot be resolved without running the shell, and commands that are not a script', () => {
    assert.deepEqual(pairs('python train.py > $LOG_DIR/train.log'), []);
    assert.deepEqual(pairs('python "$SCRIPT" > train.log'), []);
    assert.deepEqual(pairs('python -m torch.distributed.run train.py > t.log'), []);
    assert.deepEqual(pairs('python -c "print(1)" > t.log'), []);
    assert.deepEqual(pairs('python train.py > /dev/null'), []);
    assert.deepEqual(pairs('cat train.py > copy.py'), []);
    assert.deepEqual(pairs('python train.py'), []);
    assert.deepEqual(pairs('echo "python train.py > x.log" # not run'), []);
  });
});
