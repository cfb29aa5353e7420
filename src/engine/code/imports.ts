/**
 * What a Python file imports, read once per tree: the items as written (`importItems`), and the table the rules
 * resolve names through (`readImports`: `nn.GRU` → `torch.nn.GRU`). The project reader follows the same items
 * to local modules (`project.ts`).
 */

import { descendants, firstSegment, memoised, namedChildren, type NodeMemo, type SyntaxNode } from './python';

/** What the names a file imports stand for: local name → fully qualified name. */
export interface ImportTable {
  /** `nn` → `torch.nn` (`import torch.nn as nn`), `GRU` → `torch.nn.GRU`, `torch` → `torch` (`import torch.nn`). */
  readonly names: ReadonlyMap<string, string>;
  /** Modules imported with `from M import *`. */
  readonly starModules: readonly string[];
}

/** One name an `import` or `from ... import` statement binds (or one `*`), as written. */
export interface ImportItem {
  /** `import M [as a]` or `from M import n [as a]`. */
  readonly kind: 'import' | 'from';
  /** The module as written, relative ones with their dots and without the spaces Python allows: `torch.nn`, `.models`, `..`. */
  readonly module: string;
  /** `n` of `from M import n`; null for `import M` and for `*`. */
  readonly name: string | null;
  /** The local name bound: the alias, `n`, or `torch` for `import torch.nn`; null for `*`. */
  readonly local: string | null;
  /** Whether the statement names it `as` something. */
  readonly aliased: boolean;
}

const importItemLists: NodeMemo<readonly ImportItem[]> = new WeakMap();

/**
 * Every import of a file (at any depth; conditional imports count), in document order, read once per tree:
 * `readImports`, the project's bindings and the module names a project reader pre-loads all come from it.
 */
export function importItems(root: SyntaxNode): readonly ImportItem[] {
  return memoised(importItemLists, root, collectImportItems);
}

function collectImportItems(root: SyntaxNode): ImportItem[] {
  const items: ImportItem[] = [];
  for (const stmt of descendants(root, ['import_statement', 'import_from_statement'])) {
    const from = stmt.type === 'import_from_statement';
    const moduleNode = from ? stmt.childForFieldName('module_name') : null;
    if (from && !moduleNode) continue;
    const fromModule = moduleNode ? moduleText(moduleNode) : '';
    // `*` only in the text of a wildcard import (or of a comment in it): most statements need no look at their children.
    if (from && stmt.text.includes('*') && namedChildren(stmt).some((c) => c.type === 'wildcard_import')) {
      items.push({ kind: 'from', module: fromModule, name: null, local: null, aliased: false });
    }
    for (const item of stmt.childrenForFieldName('name')) {
      if (!item) continue;
      const text = item.text;
      // An `x as y` has a space in it; a name written plainly does not.
      if (!isPlain(text) && item.type === 'aliased_import') {
        const name = item.childForFieldName('name');
        const alias = item.childForFieldName('alias')?.text;
        if (!name || !alias) continue;
        if (from) items.push({ kind: 'from', module: fromModule, name: name.text, local: alias, aliased: true });
        else items.push({ kind: 'import', module: moduleText(name), name: null, local: alias, aliased: true });
      } else if (from) {
        items.push({ kind: 'from', module: fromModule, name: text, local: text, aliased: false });
      } else {
        // `import torch.nn` binds `torch`.
        const module = isPlain(text) ? text : moduleText(item);
        items.push({ kind: 'import', module, name: null, local: firstSegment(module), aliased: false });
      }
    }
  }
  return items;
}

/** Text without spaces, line continuations or comments: a name as written. */
function isPlain(text: string): boolean {
  return ![' ', '\t', '\\', '\n', '\r', '#'].some((c) => text.includes(c));
}

/** `torch.nn`, `.models`, `..` as written, without the spaces Python allows inside (`from . models import X`). */
function moduleText(node: SyntaxNode): string {
  const text = node.text;
  if (isPlain(text)) return text;
  // Spaces, a line continuation or a comment inside: the parts alone.
  return namedChildren(node).flatMap((part) => (part.type === 'comment' ? [] : [part.type === 'dotted_name' ? moduleText(part) : part.text])).join(
    node.type === 'relative_import' ? '' : '.',
  );
}

const importTables: NodeMemo<ImportTable> = new WeakMap();

/** Reads every `import` and `from ... import` of packages in the file (relative imports are the project's own), once per tree. */
export function readImports(root: SyntaxNode): ImportTable {
  return memoised(importTables, root, (node) => {
    const names = new Map<string, string>();
    const starModules: string[] = [];
    for (const item of importItems(node)) {
      if (item.module.startsWith('.')) continue;
      if (item.local === null) starModules.push(item.module);
      else if (item.kind === 'from') names.set(item.local, `${item.module}.${item.name}`);
      else names.set(item.local, item.aliased ? item.module : item.local);
    }
    return { names, starModules };
  });
}

/**
 * Expands the first segment of a dotted name through the imports: `nn.GRU` → `torch.nn.GRU` after
 * `from torch import nn`. Names that were not imported come back unchanged.
 */
export function resolveName(name: string, imports: ImportTable): string {
  const head = firstSegment(name);
  const target = imports.names.get(head);
  return target === undefined ? name : target + name.slice(head.length);
}

/** The local name under which `qualified` (`torch.nn.utils.clip_grad_norm_`) can be written, or `null`. */
export function localNameFor(qualified: string, imports: ImportTable): string | null {
  let best: string | null = null;
  for (const [local, target] of imports.names) {
    let candidate: string | null = null;
    if (target === qualified) candidate = local;
    else if (qualified.startsWith(`${target}.`)) candidate = local + qualified.slice(target.length);
    if (candidate !== null && (best === null || candidate.length < best.length)) best = candidate;
  }
  return best;
}
