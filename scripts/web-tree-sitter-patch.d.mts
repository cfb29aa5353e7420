import type { Plugin } from 'esbuild';

/** web-tree-sitter's `tree-sitter.cjs` or `tree-sitter.js` with the node-wrapper patch applied; throws on another version. */
export function patchWebTreeSitter(source: string): string;
/** The esbuild plugin that applies `patchWebTreeSitter` to every bundle that includes web-tree-sitter. */
export const webTreeSitterPatch: Plugin;
