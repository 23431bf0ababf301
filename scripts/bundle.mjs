#!/usr/bin/env node
// Bundles tsc's dist/core/cli.js (the command) and dist/core/index.js (the public API) into
// dist/core/, in place, with esbuild's code splitting: every module of the daemon exists once,
// in chunks both entries import, so a plugin importing 'xinetd-ts' shares the daemon's classes
// and registries. Why: Node 20 loads ~110 ES modules one by one at start-up (resolution, read,
// compile); a few files cut the time to the first connection by about a quarter. The other
// files of dist/ stay as tsc wrote them (the tests import them directly).
// Without esbuild (a dev dependency) the unbundled files are used: same behaviour, slower start.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const core = join(root, 'dist', 'core');
const staging = join(root, 'dist', '.bundle');
const CHUNK_PREFIX = 'bundle-';

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.warn('bundle: esbuild is not installed (npm install --include=dev): dist/core/cli.js stays unbundled');
  process.exit(0);
}
if (!existsSync(join(core, 'cli.js')) || !existsSync(join(core, 'index.js'))) {
  console.error('bundle: run tsc first (dist/core/cli.js and dist/core/index.js are missing)');
  process.exit(1);
}

rmSync(staging, { recursive: true, force: true });
mkdirSync(staging, { recursive: true });
await esbuild.build({
  entryPoints: { cli: join(core, 'cli.js'), index: join(core, 'index.js') },
  outdir: staging,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external', // tapable, cosmiconfig, ... load from node_modules as usual
  chunkNames: `${CHUNK_PREFIX}[hash]`,
  logLevel: 'warning',
});
// Chunks of an earlier build go; the new files replace the entries tsc wrote.
for (const name of readdirSync(core)) if (name.startsWith(CHUNK_PREFIX) && name.endsWith('.js')) rmSync(join(core, name));
for (const name of readdirSync(staging)) renameSync(join(staging, name), join(core, name));
rmSync(staging, { recursive: true, force: true });
console.log('bundle: dist/core/cli.js and dist/core/index.js bundled');
