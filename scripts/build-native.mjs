#!/usr/bin/env node
// Builds dist/native/xinetd-ts-launcher from core/launcher/launcher.c.
// Skips the build when the binary is newer than the source (use --force to rebuild).
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'core', 'launcher', 'launcher.c');
const output = join(root, 'dist', 'native', 'xinetd-ts-launcher');
const force = process.argv.includes('--force');

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

const srcTime = mtime(source);
if (srcTime === undefined) {
  console.error(`build-native: missing source ${source}`);
  process.exit(1);
}
const binTime = mtime(output);
if (!force && binTime !== undefined && binTime > srcTime) {
  process.exit(0);
}

const candidates = [process.env.CC, 'cc', 'gcc', 'clang'].filter((c) => typeof c === 'string' && c.length > 0);
let compiler;
for (const c of candidates) {
  const probe = spawnSync(c, ['--version'], { stdio: 'ignore' });
  if (!probe.error && probe.status === 0) {
    compiler = c;
    break;
  }
}
if (compiler === undefined) {
  console.error('xinetd-ts needs a C compiler (cc) to build its launcher: apt-get install gcc');
  process.exit(1);
}

mkdirSync(dirname(output), { recursive: true });
const tmp = `${output}.tmp-${process.pid}`;
const args = ['-O2', '-Wall', '-Wextra', '-std=gnu11', '-o', tmp, source];
const r = spawnSync(compiler, args, { stdio: 'inherit' });
if (r.error || r.status !== 0) {
  rmSync(tmp, { force: true });
  console.error(`build-native: ${compiler} ${args.join(' ')} failed`);
  process.exit(1);
}
renameSync(tmp, output); // atomic: a running daemon never sees a half-written binary
console.log(`build-native: built ${output} with ${compiler}`);
