/** What the PyTorch rules know about PyTorch itself: optimizer classes and module-returning methods. */

import { lastSegment, methodName, methodReceiver, type SyntaxNode } from './python';

const TORCH_OPTIMIZERS = new Set([
  'SGD', 'Adam', 'AdamW', 'Adamax', 'Adagrad', 'Adadelta', 'RMSprop', 'Rprop', 'ASGD', 'NAdam', 'RAdam', 'LBFGS',
  'SparseAdam', 'Adafactor',
]);

/** Methods that return the module they are called on: `Model(...).to(device)` is still the model. */
const MODULE_CHAIN_METHODS = new Set(['to', 'cuda', 'cpu', 'float', 'double', 'half', 'bfloat16', 'train']);

/** Whether a resolved callee name (`torch.optim.Adam`) builds an optimizer (never a learning-rate scheduler). */
export function isOptimizerConstructor(resolved: string): boolean {
  if (resolved.includes('lr_scheduler')) return false;
  return resolved.startsWith('torch.optim.') || resolved.startsWith('optim.') || TORCH_OPTIMIZERS.has(lastSegment(resolved));
}

/** `Model(...).to(device).train()` → `Model(...)`. */
export function peelModuleChain(call: SyntaxNode): SyntaxNode {
  let current = call;
  for (;;) {
    const receiver = methodReceiver(current);
    const method = methodName(current);
    if (!receiver || receiver.type !== 'call' || method === null || !MODULE_CHAIN_METHODS.has(method)) return current;
    current = receiver;
  }
}
