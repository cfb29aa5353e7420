// Writes examples/seed000-gru/train.log: the run described in shared seed 000 (a 2-layer GRU on IMDB,
// train accuracy ~0.99 by epoch 25, collapsing to ~0.51 at epoch 27, recovering to ~0.73 by epoch 50),
// rendered as the bytes Keras' `model.fit(verbose=1)` writes to a file: `\b` and `\r` progress updates
// within each epoch, and the epoch's final line with validation metrics. Deterministic (seeded noise).
import { writeFileSync } from 'node:fs';

let seed = 27;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const noise = (scale) => (rand() - 0.5) * 2 * scale;
const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));

function trainAccuracy(epoch) {
  if (epoch <= 25) return 0.5 + 0.492 * (1 - Math.exp(-(epoch - 1) / 4.5)) + noise(0.004);
  if (epoch === 26) return 0.97 + noise(0.005);
  if (epoch === 27) return 0.51 + noise(0.004);
  return 0.51 + 0.22 * (1 - Math.exp(-(epoch - 27) / 10)) / (1 - Math.exp(-23 / 10)) + noise(0.006);
}
function valAccuracy(epoch) {
  if (epoch <= 26) return 0.5 + 0.345 * (1 - Math.exp(-(epoch - 1) / 3)) - 0.0015 * Math.max(0, epoch - 12) + noise(0.006);
  return trainAccuracy(epoch) - 0.015 + noise(0.008);
}
// Binary cross-entropy that goes with an accuracy, roughly.
const lossFor = (acc) => clamp(0.693 * ((1 - clamp(acc, 0.5, 1)) / 0.5) ** 1.3 + 0.015 + noise(0.004), 0.005, 0.75);

const steps = 98;
const width = 30;
let out =
  '2026-11-02 09:14:03.512781: I tensorflow/core/platform/cpu_feature_guard.cc:182] This TensorFlow binary is optimized to use available CPU instructions in performance-critical operations.\n';
for (let epoch = 1; epoch <= 50; epoch++) {
  out += `Epoch ${epoch}/50\n`;
  const acc = clamp(trainAccuracy(epoch), 0.45, 0.999);
  const loss = lossFor(acc);
  let previous = 0;
  for (const step of [1, 2, 11, 21, 31, 41, 51, 61, 71, 81, 91, 98]) {
    const done = Math.floor((width * step) / steps);
    const bar = step === steps ? '='.repeat(width) : '='.repeat(Math.max(0, done - 1)) + '>' + '.'.repeat(width - done);
    const partialAcc = clamp(acc + noise(0.02) * (1 - step / steps), 0, 1);
    const partialLoss = lossFor(partialAcc);
    let line;
    if (step < steps) {
      const eta = Math.round(((steps - step) * 118) / 1000);
      line = `${String(step).padStart(2)}/${steps} [${bar}] - ETA: ${eta}s - loss: ${partialLoss.toFixed(4)} - accuracy: ${partialAcc.toFixed(4)}`;
    } else {
      const vacc = clamp(valAccuracy(epoch), 0.45, 0.95);
      const vloss = lossFor(vacc) + Math.max(0, epoch - 12) * 0.012 * (epoch <= 26 ? 1 : 0);
      line = `${steps}/${steps} [${bar}] - 12s 118ms/step - loss: ${loss.toFixed(4)} - accuracy: ${acc.toFixed(4)} - val_loss: ${vloss.toFixed(4)} - val_accuracy: ${vacc.toFixed(4)}`;
    }
    out += (previous > 0 ? '\b'.repeat(previous) + '\r' : '') + line;
    previous = line.length;
  }
  out += '\n';
}
writeFileSync(new URL('../examples/seed000-gru/train.log', import.meta.url), out);
console.log(`wrote ${out.length} bytes`);
