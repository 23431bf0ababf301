#!/usr/bin/env node
// Builds the native helpers into dist/native/: xinetd-ts-launcher (core/launcher/launcher.c) and
// xinetd-ts-syslog-relay (plugins/logging/native/syslog-relay.c, the bridge to /dev/log).
// Skips a build when the binary is newer than its source (use --force to rebuild).
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const targets = [
  { source: join(root, 'core', 'launcher', 'launcher.c'), output: join(root, 'dist', 'native', 'xinetd-ts-launcher') },
  { source: join(root, 'plugins', 'logging', 'native', 'syslog-relay.c'), output: join(root, 'dist', 'native', 'xinetd-ts-syslog-relay') },
];
const force = process.argv.includes('--force');

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

for (const { source } of targets) {
  if (mtime(source) === undefined) {
    console.error(`build-native: missing source ${source}`);
    process.exit(1);
  }
}
const stale = targets.filter(({ source, output }) => {
  const binTime = mtime(output);
  return force || binTime === undefined || binTime <= mtime(source);
});
if (stale.length === 0) {
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

for (const { source, output } of stale) {
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
}
