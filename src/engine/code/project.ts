/**
 * Projects: a training script plus the local modules it imports. The model is often defined in `model.py`
 * and trained in `train.py`; rules that need both see them through a `Project`, which follows the entry
 * file's own imports (`from model import Net`, `from .models import Net`, `import models.rnn as m`) to class
 * definitions in other files.
 *
 * The engine stays pure: the caller hands in the entry's text and a synchronous resolver over texts it has
 * already read (`src/node/project-files.ts` does that from disk). Without a resolver a project is one file,
 * which is how `analyzeCode` runs the same rules.
 */

import { LineIndex } from '../text';
import type { CodeFinding, Location } from '../types';
import {
  descendants,
  dottedName,
  enclosingClass,
  enclosingFunction,
  namedChildren,
  type PythonParser,
  type SyntaxNode,
  type SyntaxTree,
} from './python';
import { importItems } from './imports';
import { createRuleContext, type Rule, type RuleContext } from './rule';

/** A Python file's name (as the caller spells it) and its exact text. */
export interface ProjectSource {
  readonly file: string;
  readonly text: string;
}

/**
 * Finds the local module an import names, or `undefined` (third-party, standard library, not found).
 * `moduleName` is written as in the import, relative ones with their dots: `model`, `models.rnn`, `.models`,
 * `..nets.rnn`, `.` (the importing file's own package). `fromFile` is the importing file's name.
 */
export type ModuleResolver = (moduleName: string, fromFile: string) => ProjectSource | undefined;

/** What a local name of a file was imported as. */
interface Binding {
  /** The module, as written (`model`, `.models`, `models.rnn`). */
  readonly module: string;
  /** The imported name (`Net` in `from model import Net`); `null` when the name is the module itself. */
  readonly name: string | null;
}

/** One parsed file of the project. */
export class SourceFile {
  readonly root: SyntaxNode;
  readonly lines: LineIndex;
  private bindings: { names: Map<string, Binding>; stars: string[] } | undefined;
  private classes: Map<string, SyntaxNode> | undefined;
  private functions: Map<string, SyntaxNode> | undefined;

  constructor(
    readonly file: string,
    readonly text: string,
    readonly tree: SyntaxTree,
    lines?: LineIndex,
  ) {
    this.root = tree.rootNode;
    this.lines = lines ?? new LineIndex(text);
  }

  /** A location in this file, for `related` entries. */
  locationOf(node: SyntaxNode): Location {
    const start = this.lines.positionAt(node.startIndex);
    const end = this.lines.positionAt(node.endIndex);
    return { file: this.file, line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
  }

  /** 1-based line of a node. */
  lineOf(node: SyntaxNode): number {
    return this.lines.positionAt(node.startIndex).line;
  }

  /** A rule context over this file, so that findings here are built the way the engine builds them. */
  context(rule: Rule): RuleContext {
    return createRuleContext(rule, this.file, this.text, this.tree, this.lines);
  }

  /** Top-level classes of this file by name (also under top-level `if`/`try`, e.g. version guards). */
  topLevelClass(name: string): SyntaxNode | null {
    this.classes ??= topLevelDefinitions(this.root, 'class_definition');
    return this.classes.get(name) ?? null;
  }

  /** Top-level functions of this file by name (`def build_model(...)`, also decorated or under a top-level `if`). */
  topLevelFunction(name: string): SyntaxNode | null {
    this.functions ??= topLevelDefinitions(this.root, 'function_definition');
    return this.functions.get(name) ?? null;
  }

  /** Import bindings of this file, relative imports included (unlike `readImports`, which keeps only packages). */
  binding(name: string): Binding | null {
    return this.importBindings().names.get(name) ?? null;
  }

  /** Modules this file imports with `from M import *`. */
  starModules(): readonly string[] {
    return this.importBindings().stars;
  }

  private importBindings(): { names: Map<string, Binding>; stars: string[] } {
    if (this.bindings) return this.bindings;
    const names = new Map<string, Binding>();
    const stars: string[] = [];
    for (const item of importItems(this.root)) {
      if (item.local === null) stars.push(item.module);
      // `import models.rnn` binds `models`; `models.rnn.Net` is resolved segment by segment.
      else if (item.kind === 'import') names.set(item.local, { module: item.aliased ? item.module : item.local, name: null });
      else names.set(item.local, { module: item.module, name: item.name });
    }
    this.bindings = { names, stars };
    return this.bindings;
  }
}

/** The definitions of one kind outside every function and class, by name (the first of a name wins). */
function topLevelDefinitions(root: SyntaxNode, type: 'class_definition' | 'function_definition'): Map<string, SyntaxNode> {
  const byName = new Map<string, SyntaxNode>();
  for (const definition of descendants(root, type)) {
    const name = definition.childForFieldName('name')?.text;
    if (name && !byName.has(name) && enclosingFunction(definition) === null && enclosingClass(definition) === null) byName.set(name, definition);
  }
  return byName;
}

/** A class definition and the file it is in. */
export interface ClassRef {
  readonly source: SourceFile;
  readonly node: SyntaxNode;
  readonly name: string;
}

/** A function definition (a method) and the file it is in. */
export interface FunctionRef {
  readonly source: SourceFile;
  readonly node: SyntaxNode;
}

/** A finding and the file it belongs in. */
export interface ProjectFinding {
  readonly file: string;
  readonly finding: CodeFinding;
}

/** A rule that can look across files. Its `check` runs it over a one-file project (see `checkSingleFile`). */
export interface ProjectRule extends Rule {
  checkProject(project: Project): ProjectFinding[];
}

export function isProjectRule(rule: Rule): rule is ProjectRule {
  return typeof (rule as Partial<ProjectRule>).checkProject === 'function';
}

/** Most files a project parses besides its entry, whatever the resolver offers. */
export const MAX_PROJECT_FILES = 64;
/** How many import hops a lookup follows (`__init__.py` re-exports, base classes in other files). */
const MAX_HOPS = 8;

/** A training script and the local modules reachable from it, parsed on demand. */
export class Project {
  private readonly loaded = new Map<string, SourceFile | null>();
  private readonly owned: SyntaxTree[] = [];

  constructor(
    readonly entry: SourceFile,
    private readonly parser: PythonParser | null = null,
    private readonly resolver: ModuleResolver | null = null,
  ) {
    this.loaded.set(entry.file, entry);
  }

  /**
   * The one-file project of a rule context, cached per tree and file name, so the rules of one run share it (a
   * kept tree may be analysed again under another name: two files with the same text).
   */
  static ofContext(ctx: RuleContext): Project {
    let byFile = single.get(ctx.tree);
    if (!byFile) single.set(ctx.tree, (byFile = new Map()));
    let project = byFile.get(ctx.file);
    if (!project) {
      project = new Project(new SourceFile(ctx.file, ctx.text, ctx.tree, ctx.lines));
      byFile.set(ctx.file, project);
    }
    return project;
  }

  /** Files parsed so far, the entry first. */
  files(): SourceFile[] {
    return [...this.loaded.values()].filter((f): f is SourceFile => f !== null);
  }

  /** The file a module name stands for when imported from `from`, parsed once; null when not local. */
  module(name: string, from: SourceFile): SourceFile | null {
    if (!this.resolver || !this.parser) return null;
    const found = this.resolver(name, from.file);
    if (!found) return null;
    const cached = this.loaded.get(found.file);
    if (cached !== undefined) return cached;
    if (this.owned.length >= MAX_PROJECT_FILES) return null;
    const tree = this.parser.parse(found.text);
    this.owned.push(tree);
    const source = new SourceFile(found.file, found.text, tree);
    this.loaded.set(found.file, source);
    return source;
  }

  /**
   * The class a (dotted) name written in `from` stands for: a top-level class of that file, or one reached
   * through its local imports (`from model import Net`, `import models.rnn as m` then `m.Net`,
   * `from . import models` then `models.Net`), following re-exports. Null when not found or not local.
   */
  resolveClass(from: SourceFile, dotted: string, hops = 0): ClassRef | null {
    return this.resolveTopLevel(from, dotted, (file, name) => file.topLevelClass(name), hops);
  }

  /**
   * The top-level class or function a (dotted) name written in `from` stands for, found as `resolveClass` finds
   * classes (`model = build_model()` after `from model import build_model`).
   */
  resolveDefinition(from: SourceFile, dotted: string): ClassRef | null {
    return this.resolveTopLevel(from, dotted, (file, name) => file.topLevelClass(name) ?? file.topLevelFunction(name), 0);
  }

  private resolveTopLevel(from: SourceFile, dotted: string, lookup: (file: SourceFile, name: string) => SyntaxNode | null, hops: number): ClassRef | null {
    if (hops > MAX_HOPS) return null;
    const parts = dotted.split('.');
    if (parts.length === 1) {
      const local = lookup(from, dotted);
      if (local) return { source: from, node: local, name: dotted };
    }
    const inModule = (module: string, name: string | undefined): ClassRef | null => {
      if (name === undefined) return null;
      const target = this.module(module, from);
      if (!target || target === from) return null;
      return this.resolveTopLevel(target, name, lookup, hops + 1);
    };
    const binding = from.binding(parts[0]);
    if (binding) {
      const rest = parts.slice(1);
      if (binding.name === null) return inModule(joinModule(binding.module, rest.slice(0, -1)), rest.at(-1));
      if (rest.length === 0) return inModule(binding.module, binding.name);
      return inModule(joinModule(binding.module, [binding.name, ...rest.slice(0, -1)]), rest.at(-1));
    }
    if (parts.length === 1) {
      for (const star of from.starModules()) {
        const found = inModule(star, dotted);
        if (found) return found;
      }
    }
    return null;
  }

  /** A method of a class, looked up through its base classes (in this or other project files). */
  method(cls: ClassRef, name: string, hops = 0): FunctionRef | null {
    const body = cls.node.childForFieldName('body');
    for (const child of body ? namedChildren(body) : []) {
      const fn = child.type === 'decorated_definition' ? child.childForFieldName('definition') : child;
      if (fn?.type === 'function_definition' && fn.childForFieldName('name')?.text === name) return { source: cls.source, node: fn };
    }
    if (hops >= MAX_HOPS) return null;
    const bases = cls.node.childForFieldName('superclasses');
    for (const base of bases ? namedChildren(bases) : []) {
      const baseName = dottedName(base);
      const baseClass = baseName === null ? null : this.resolveClass(cls.source, baseName);
      const found = baseClass ? this.method(baseClass, name, hops + 1) : null;
      if (found) return found;
    }
    return null;
  }

  /** Frees the trees this project parsed (the entry's tree belongs to the caller). */
  dispose(): void {
    for (const tree of this.owned.splice(0)) tree.delete();
  }
}

const single = new WeakMap<SyntaxTree, Map<string, Project>>();

/**
 * Every module name a file's imports could need, as `ModuleResolver` will be asked for it: `model` for
 * `from model import Net`; `models`, `models.rnn` for `import models.rnn`; `.models` and `.models.Net` for
 * `from .models import Net` (the imported name may be a submodule). For readers that pre-load a project.
 */
export function importedModuleNames(root: SyntaxNode): string[] {
  const names = new Set<string>();
  for (const item of importItems(root)) {
    if (item.kind === 'import') {
      const parts = item.module.split('.');
      for (let i = 1; i <= parts.length; i++) names.add(parts.slice(0, i).join('.'));
      continue;
    }
    names.add(item.module);
    if (item.name !== null) names.add(joinModule(item.module, [item.name]));
  }
  return [...names];
}

/** `.` + `models` → `.models`; `pkg` + `rnn` → `pkg.rnn`. */
function joinModule(module: string, parts: readonly string[]): string {
  let out = module;
  for (const part of parts) out = out.endsWith('.') ? out + part : `${out}.${part}`;
  return out;
}

/** `Rule.check` of a project rule: the rule over the file alone, keeping the findings that fall in it. */
export function checkSingleFile(rule: ProjectRule, ctx: RuleContext): CodeFinding[] {
  return rule
    .checkProject(Project.ofContext(ctx))
    .filter((f) => f.file === ctx.file)
    .map((f) => f.finding);
}

/**
 * How a message names `file` to a reader of `from`: relative to `from`'s folder (`model.py`,
 * `../models/rnn.py`), whatever the separators, so messages never carry a machine's absolute paths.
 */
export function displayPath(file: string, from: string): string {
  const parts = (path: string) => path.split(/[\\/]+/);
  const target = parts(file);
  const base = parts(from).slice(0, -1);
  let common = 0;
  while (common < base.length && common < target.length - 1 && base[common] === target[common]) common++;
  if (common === 0 && (file.startsWith('/') || /^[A-Za-z]:/.test(file))) return file; // nothing shared (another drive)
  return [...base.slice(common).map(() => '..'), ...target.slice(common)].join('/');
}
