import { readFileSync } from 'node:fs';

/** What a script's `#!/usr/bin/env -S [NAME=VALUE...] node [--opt...]` line sets. */
export interface ShebangCommand {
  /** The environment assignments before `node`. */
  readonly env: Readonly<Record<string, string>>;
  /** The node options after it. */
  readonly nodeOptions: readonly string[];
}

/**
 * The daemon's memory settings (MALLOC_ARENA_MAX, the heap's semi-space) are part of how the
 * installed `xinetd-ts` command runs (dist/core/cli.js), so tests and the benchmark that start
 * it with `node` set the same.
 */
export function shebangCommand(script: string): ShebangCommand {
  let first = '';
  try {
    first = readFileSync(script, 'utf8').split('\n', 1)[0] ?? '';
  } catch {
    return { env: {}, nodeOptions: [] };
  }
  const m = /^#!\S*env -S((?: [A-Z_]+=\S+)*) node((?: --[\w-]+(?:=\S+)?)*)\s*$/.exec(first);
  if (!m) return { env: {}, nodeOptions: [] };
  const env = Object.fromEntries(m[1]!.trim().split(/\s+/).filter(Boolean).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
  return { env, nodeOptions: m[2]!.trim().split(/\s+/).filter(Boolean) };
}

/** The node options of the shebang (see shebangCommand). */
export function shebangNodeOptions(script: string): string[] {
  return [...shebangCommand(script).nodeOptions];
}

/** `base` (default: this process's environment) with the shebang's assignments. */
export function shebangEnv(script: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, ...shebangCommand(script).env };
}
