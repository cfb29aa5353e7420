/**
 * What the loop-side rules (`no-grad-inside-loop`, `missing-zero-grad`, `eval-mode-leak`,
 * `loss-accumulates-graph`, `train-loader-no-shuffle`, `empty-range-loop`) ask about a PyTorch training script:
 * loops over data loaders, backward and optimizer-step calls, grad-disabled regions. Computed once per tree and
 * shared by those rules.
 */

import {
  assignedValues,
  calleeName,
  contains,
  containsAnyOf,
  descendants,
  dottedName,
  enclosingLoop,
  findMethodCalls,
  lastSegment,
  methodName,
  methodReceiver,
  methodReceiverName,
  namedChildren,
  parentOf,
  positionalArguments,
  type SyntaxNode,
  type SyntaxTree,
} from './python';
import { readImports, resolveName, type ImportTable } from './imports';
import { isOptimizerConstructor } from './torch';

/** Calls that wrap an iterable and yield its items (or `(i, item)`): `tqdm(loader)`, `enumerate(loader)`. */
const ITER_WRAPPERS = new Set(['tqdm', 'enumerate', 'iter', 'list', 'reversed', 'track', 'progress_bar']);
const GRAD_OFF = new Set(['torch.no_grad', 'torch.inference_mode', 'torch.autograd.no_grad', 'torch.autograd.grad_mode.no_grad']);

/** Facts about one file, computed lazily and cached per tree. */
export class LoopFacts {
  readonly imports: ImportTable;
  private backwardList: SyntaxNode[] | undefined;
  private functionMap: Map<string, SyntaxNode[]> | undefined;
  private optimized: string[] | undefined;
  private differentiated: Set<string> | undefined;
  private attributes: Map<string, Set<string>> | undefined;
  private loaderNames: Set<string> | undefined;
  private loops: SyntaxNode[] | undefined;
  /** `gradDisabled` by node id: whether an ancestor turns gradients off. */
  private readonly gradOff = new Map<number, boolean>();
  private readonly constructors = new Map<string, readonly string[]>();

  constructor(readonly root: SyntaxNode) {
    this.imports = readImports(root);
  }

  /** Right-hand sides of `name = value` anywhere in the file (dotted names: `self.loader`). */
  assignedValues(name: string): readonly SyntaxNode[] {
    return assignedValues(this.root.tree, name);
  }

  /** The qualified name of a call's callee through the imports (`nn.MSELoss` → `torch.nn.MSELoss`), or null. */
  resolvedCallee(call: SyntaxNode): string | null {
    const name = calleeName(call);
    return name === null ? null : resolveName(name, this.imports);
  }

  /** What `name` was built with (`torch.optim.Adam` for `opt = optim.Adam(...)`), once per name: every step asks. */
  constructorsOf(name: string): readonly string[] {
    let found = this.constructors.get(name);
    if (!found) {
      found = this.assignedValues(name)
        .filter((v) => v.type === 'call')
        .map((v) => this.resolvedCallee(v) ?? '');
      this.constructors.set(name, found);
    }
    return found;
  }

  /** Every `.backward()` call of the file except `torch.autograd.backward(...)`, in document order. */
  backwardCalls(): readonly SyntaxNode[] {
    this.backwardList ??= findMethodCalls(this.root, 'backward').filter((call) => {
      const receiver = methodReceiverName(call);
      return receiver === null || !resolveName(receiver, this.imports).startsWith('torch.autograd');
    });
    return this.backwardList;
  }

  /** Whether a backward call lies inside `node`. */
  containsBackward(node: SyntaxNode): boolean {
    return containsAnyOf(this.backwardCalls(), node);
  }

  /** Dotted names mentioned in what is differentiated: `total` in `total.backward()`, `losses` in `torch.stack(losses).mean().backward()`. */
  differentiatedNames(): ReadonlySet<string> {
    if (!this.differentiated) {
      const names = new Set<string>();
      for (const call of this.backwardCalls()) {
        const parts = [methodReceiver(call), ...positionalArguments(call)];
        for (const part of parts) {
          if (!part) continue;
          for (const n of descendants(part, ['identifier', 'attribute'])) {
            const name = dottedName(n);
            if (name !== null) names.add(name);
          }
        }
      }
      this.differentiated = names;
    }
    return this.differentiated;
  }

  /** For each dotted name, the attributes read on it anywhere in the file (`total` → {`item`} for `total.item()`). */
  attributesOf(name: string): ReadonlySet<string> {
    if (!this.attributes) {
      this.attributes = new Map();
      for (const node of descendants(this.root, 'call')) {
        const receiver = methodReceiver(node);
        const method = methodName(node);
        const object = receiver ? dottedName(receiver) : null;
        if (object === null || method === null) continue;
        const set = this.attributes.get(object) ?? new Set<string>();
        set.add(method);
        this.attributes.set(object, set);
      }
    }
    return this.attributes.get(name) ?? EMPTY;
  }

  /** Function definitions of this file by name. */
  functions(name: string): readonly SyntaxNode[] {
    if (!this.functionMap) {
      this.functionMap = new Map();
      for (const fn of descendants(this.root, 'function_definition')) {
        const fnName = fn.childForFieldName('name')?.text;
        if (!fnName) continue;
        const list = this.functionMap.get(fnName) ?? [];
        list.push(fn);
        this.functionMap.set(fnName, list);
      }
    }
    return this.functionMap.get(name) ?? [];
  }

  /** Bodies of the functions of this file that `node` calls directly (`train_one_epoch(...)`, `self.evaluate()`). */
  calledFunctions(node: SyntaxNode): SyntaxNode[] {
    const result: SyntaxNode[] = [];
    for (const call of descendants(node, 'call')) {
      const name = calleeName(call);
      if (name === null) continue;
      for (const fn of this.functions(lastSegment(name))) if (!contains(fn, node)) result.push(fn);
    }
    return result;
  }

  /** Whether `node`, or a function of this file it calls, satisfies `test`. */
  reaches(node: SyntaxNode, test: (scope: SyntaxNode) => boolean): boolean {
    return test(node) || this.calledFunctions(node).some(test);
  }

  /**
   * Whether `call` is an optimizer step: `x.step()` on something built by `torch.optim.*` (or named like an
   * optimizer when its construction is not in sight), or `scaler.step(optimizer)` on a GradScaler. Returns
   * the optimizer expression, or null.
   */
  optimizerOfStep(call: SyntaxNode): SyntaxNode | null {
    if (methodName(call) !== 'step') return null;
    const receiver = methodReceiver(call);
    const name = dottedName(receiver);
    if (!receiver || name === null) return null;
    const args = positionalArguments(call);
    const constructors = this.constructorsOf(name);
    if (constructors.some((c) => lastSegment(c) === 'GradScaler')) return args.length === 1 ? args[0] : null;
    if (constructors.some((c) => isOptimizerConstructor(c))) return receiver;
    if (constructors.length > 0) return null;
    const last = lastSegment(name).toLowerCase();
    if (last.includes('sched')) return null;
    if (last.includes('scaler')) return args.length === 1 ? args[0] : null;
    return args.length === 0 && (last.startsWith('opt') || last.includes('optim')) ? receiver : null;
  }

  /**
   * Modules whose parameters an optimizer of this file is built with: `model` for
   * `torch.optim.Adam(model.parameters())`, also through `params = list(model.parameters())`.
   */
  optimizedModules(): readonly string[] {
    if (!this.optimized) {
      const modules = new Set<string>();
      const collect = (node: SyntaxNode): void => {
        for (const call of descendants(node, 'call')) {
          const method = methodName(call);
          if (method !== 'parameters' && method !== 'named_parameters') continue;
          const receiver = methodReceiverName(call);
          if (receiver !== null) modules.add(receiver);
        }
      };
      for (const call of descendants(this.root, 'call')) {
        const resolved = this.resolvedCallee(call);
        if (resolved === null || !isOptimizerConstructor(resolved)) continue;
        const args = call.childForFieldName('arguments');
        if (!args) continue;
        collect(args);
        for (const arg of namedChildren(args)) {
          const value = arg.type === 'keyword_argument' ? arg.childForFieldName('value') : arg;
          const name = value ? dottedName(value) : null;
          if (name !== null) for (const v of this.assignedValues(name)) collect(v);
        }
      }
      this.optimized = [...modules];
    }
    return this.optimized;
  }

  /**
   * Whether `node` runs with gradients off: inside `with torch.no_grad():` / `inference_mode`, or a decorated
   * function. Memoised for `node` and the ancestors passed on the way up (rules ask it of every statement).
   */
  gradDisabled(node: SyntaxNode): boolean {
    const pending: number[] = [];
    let answer = false;
    for (let current = node; ; ) {
      const known = this.gradOff.get(current.id);
      if (known !== undefined) {
        answer = known;
        break;
      }
      pending.push(current.id);
      const p = parentOf(current);
      if (!p) break;
      if (this.turnsGradOff(p)) {
        answer = true;
        break;
      }
      current = p;
    }
    for (const id of pending) this.gradOff.set(id, answer);
    return answer;
  }

  /** `with torch.no_grad():` and functions decorated `@torch.no_grad()` / `@torch.inference_mode()`. */
  private turnsGradOff(p: SyntaxNode): boolean {
    const type = p.type;
    if (type === 'with_statement') return withItems(p).some((item) => this.isGradOff(item));
    if (type !== 'decorated_definition') return false;
    for (const d of namedChildren(p)) {
      if (d.type !== 'decorator') continue;
      const expr = d.firstNamedChild;
      if (expr && (this.isGradOff(expr) || GRAD_OFF.has(resolveName(dottedName(expr) ?? '', this.imports)))) return true;
    }
    return false;
  }

  /** `torch.no_grad()` / `torch.inference_mode()` (or their imported names), without arguments. */
  isGradOff(expr: SyntaxNode): boolean {
    if (expr.type !== 'call' || positionalArguments(expr).length > 0) return false;
    const args = expr.childForFieldName('arguments');
    if (args && namedChildren(args).some((a) => a.type !== 'comment')) return false;
    const name = calleeName(expr);
    if (name === null) return false;
    const resolved = resolveName(name, this.imports);
    return GRAD_OFF.has(resolved);
  }

  /**
   * Whether `expr` (a `for` loop's iterable) goes over a data loader: a name like `train_loader`,
   * `val_dataloader`, a name assigned from `DataLoader(...)`, `self.val_dataloader()`, possibly wrapped in
   * `tqdm(...)`/`enumerate(...)`.
   */
  isLoaderIterable(expr: SyntaxNode): boolean {
    const inner = peelIterWrappers(expr);
    if (inner.type === 'call') {
      const method = methodName(inner) ?? calleeName(inner);
      return method !== null && lastSegment(method).toLowerCase().endsWith('dataloader');
    }
    const name = dottedName(inner);
    if (name === null) return false;
    return lastSegment(name).toLowerCase().includes('loader') || this.dataLoaderNames().has(name);
  }

  /** Names assigned from `DataLoader(...)` anywhere in the file (`batches = DataLoader(ds)` → `batches`). */
  dataLoaderNames(): ReadonlySet<string> {
    if (!this.loaderNames) {
      this.loaderNames = new Set();
      for (const call of descendants(this.root, 'call')) {
        if (!this.isDataLoaderCall(call)) continue;
        const parent = parentOf(call);
        const name = parent?.type === 'assignment' ? dottedName(parent.childForFieldName('left')) : null;
        if (name !== null) this.loaderNames.add(name);
      }
    }
    return this.loaderNames;
  }

  /**
   * The loops that go over data: those that call `backward()` and those over a data loader, in document order.
   * Loop-side rules look inside these only.
   */
  dataLoops(): readonly SyntaxNode[] {
    if (!this.loops) {
      const ids = new Set<number>();
      for (const call of this.backwardCalls()) for (const loop of enclosingLoops(call)) ids.add(loop.id);
      this.loops = descendants(this.root, ['for_statement', 'while_statement']).filter((loop) => {
        if (ids.has(loop.id)) return true;
        const iterable = loop.type === 'for_statement' ? loop.childForFieldName('right') : null;
        return iterable !== null && this.isLoaderIterable(iterable);
      });
    }
    return this.loops;
  }

  /** `DataLoader(...)` from torch (or any `*.DataLoader`). */
  isDataLoaderCall(call: SyntaxNode): boolean {
    const resolved = this.resolvedCallee(call);
    return resolved !== null && lastSegment(resolved) === 'DataLoader';
  }
}

const EMPTY: ReadonlySet<string> = new Set();
const factsByTree = new WeakMap<SyntaxTree, LoopFacts>();

/** The loop facts of a tree, shared by every rule that asks. */
export function loopFacts(root: SyntaxNode): LoopFacts {
  let facts = factsByTree.get(root.tree);
  if (!facts) factsByTree.set(root.tree, (facts = new LoopFacts(root)));
  return facts;
}


/** `tqdm(enumerate(loader), total=...)` → `loader`. */
export function peelIterWrappers(expr: SyntaxNode): SyntaxNode {
  let current = expr;
  for (;;) {
    if (current.type === 'parenthesized_expression' && current.firstNamedChild) {
      current = current.firstNamedChild;
      continue;
    }
    if (current.type !== 'call') return current;
    const name = calleeName(current);
    const first = positionalArguments(current)[0];
    if (name === null || !first || !ITER_WRAPPERS.has(lastSegment(name))) return current;
    current = first;
  }
}

/** The context-manager expressions of a `with` statement (`torch.no_grad()`), without `as` targets. */
export function withItems(withStatement: SyntaxNode): SyntaxNode[] {
  const clause = namedChildren(withStatement).find((c) => c.type === 'with_clause');
  if (!clause) return [];
  return namedChildren(clause)
    .filter((item) => item.type === 'with_item')
    .map((item) => item.childForFieldName('value'))
    .filter((v): v is SyntaxNode => v !== null);
}

/** The statements of a block, comments left out. */
export function statementsOf(block: SyntaxNode | null): SyntaxNode[] {
  return block ? namedChildren(block).filter((c) => c.type !== 'comment') : [];
}

/**
 * The loops around `node` within its function, innermost first (not past a `lambda` or class either): the
 * chain of `enclosingLoop`, whose answers are memoised per tree.
 */
export function enclosingLoops(node: SyntaxNode): SyntaxNode[] {
  const loops: SyntaxNode[] = [];
  for (let loop = enclosingLoop(node); loop; loop = enclosingLoop(loop)) loops.push(loop);
  return loops;
}

/** The `:` that ends a compound statement's header (`for ...:`), or null. */
export function headerColon(statement: SyntaxNode): SyntaxNode | null {
  const body = statement.childForFieldName('body');
  let colon: SyntaxNode | null = null;
  for (const child of statement.children) {
    if (!child || (body && child.startIndex >= body.startIndex)) break;
    if (child.type === ':') colon = child;
  }
  return colon;
}

/** Offset of the end of the line holding `offset`, before its line break. */
export function lineEnd(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  if (nl === -1) return text.length;
  return nl > 0 && text[nl - 1] === '\r' ? nl - 1 : nl;
}

/** Whether a line holds only spaces and tabs (and maybe a `\r`). */
export function isBlankLine(line: string): boolean {
  for (const ch of line) if (ch !== ' ' && ch !== '\t' && ch !== '\r') return false;
  return true;
}
