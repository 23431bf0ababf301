#!/usr/bin/env node
// Builds the native helpers into dist/native/: xinetd-ts-launcher (every .c in core/launcher/native/) and
// xinetd-ts-syslog-relay (plugins/logging/native/syslog-relay.c, the bridge to /dev/log), and the
// native accept path, a Node-API addon (core/accept/acceptor.c -> acceptor.node) built against the
// headers of the Node that runs this script. Without those headers the addon is skipped and the
// daemon accepts through net.Server (slower, same behaviour).
// Skips a build when the binary is newer than its source (use --force to rebuild).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const launcherSources = join(root, 'core', 'launcher', 'native');

/** The .c and .h files of a folder other than `main`, sorted: a program split one concept a file. */
function companions(folder, main) {
  if (!existsSync(folder)) return []; // reported below as a missing source
  return readdirSync(folder)
    .filter((f) => (f.endsWith('.c') || f.endsWith('.h')) && f !== main)
    .sort()
    .map((f) => join(folder, f));
}

const targets = [
  {
    source: join(launcherSources, 'launcher.c'),
    extra: companions(launcherSources, 'launcher.c'),
    output: join(root, 'dist', 'native', 'xinetd-ts-launcher'),
  },
  { source: join(root, 'plugins', 'logging', 'native', 'syslog-relay.c'), output: join(root, 'dist', 'native', 'xinetd-ts-syslog-relay') },
  {
    source: join(root, 'core', 'accept', 'acceptor.c'),
    extra: ['datagrams.c', 'datagrams.h', 'scheduling.c', 'scheduling.h', 'sockets.c', 'sockets.h'].map((f) => join(root, 'core', 'accept', f)),
    output: join(root, 'dist', 'native', 'acceptor.node'),
    addon: true,
  },
];

/** Node's own headers (node_api.h, uv.h): <prefix>/include/node for the running node. */
function nodeHeaders() {
  const prefixes = [process.config?.variables?.node_prefix, dirname(dirname(process.execPath))];
  for (const prefix of prefixes) {
    if (typeof prefix !== 'string' || prefix.length === 0) continue;
    const dir = join(prefix, 'include', 'node');
    if (existsSync(join(dir, 'node_api.h')) && existsSync(join(dir, 'uv.h'))) return dir;
  }
  return undefined;
}
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
const stale = targets.filter(({ source, extra = [], output }) => {
  const binTime = mtime(output);
  return force || binTime === undefined || [source, ...extra].some((s) => binTime <= mtime(s));
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

for (const { source, extra = [], output, addon } of stale) {
  mkdirSync(dirname(output), { recursive: true });
  const tmp = `${output}.tmp-${process.pid}`;
  const args = ['-O2', '-Wall', '-Wextra', '-std=gnu11', '-o', tmp, source, ...extra.filter((f) => f.endsWith('.c'))];
  if (addon) {
    const headers = nodeHeaders();
    if (headers === undefined) {
      rmSync(output, { force: true });
      console.warn(`build-native: no Node headers (node_api.h) for ${process.execPath}: skipping ${output}; the daemon accepts through net.Server`);
      continue;
    }
    args.unshift('-shared', '-fPIC', '-I', headers);
  }
  const r = spawnSync(compiler, args, { stdio: 'inherit' });
  if (r.error || r.status !== 0) {
    rmSync(tmp, { force: true });
    console.error(`build-native: ${compiler} ${args.join(' ')} failed`);
    process.exit(1);
  }
  renameSync(tmp, output); // atomic: a running daemon never sees a half-written binary
  console.log(`build-native: built ${output} with ${compiler}`);
}
