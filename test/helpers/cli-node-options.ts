import { readFileSync } from 'node:fs';

/**
 * The node options on a script's `#!/usr/bin/env -S node --opt...` line. The daemon's heap
 * settings are part of how the installed `xinetd-ts` command runs (dist/core/cli.js), so tests
 * and the benchmark that start it with `node` pass the same options.
 */
export function shebangNodeOptions(script: string): string[] {
  let first = '';
  try {
    first = readFileSync(script, 'utf8').split('\n', 1)[0] ?? '';
  } catch {
    return [];
  }
  const m = /^#!\S*env -S node((?: --[\w-]+(?:=\S+)?)*)\s*$/.exec(first);
  return m ? m[1]!.trim().split(/\s+/).filter(Boolean) : [];
}
