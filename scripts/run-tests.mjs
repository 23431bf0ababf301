// Runs every compiled test file with node's test runner; the exit code is the runner's.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../dist/test/', import.meta.url).pathname;
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'bench' && name !== 'helpers' && name !== 'fixtures') walk(path);
    } else if (name.endsWith('.test.js')) files.push(path);
  }
};
walk(root);
const filter = process.argv.slice(2);
const selected = filter.length ? files.filter((f) => filter.some((x) => f.includes(x))) : files;
// Every temporary file of the run (the tests' directories, the daemons' logs and sockets) goes
// under one directory, removed at the end: runs do not pile up in /tmp. Traversable by every
// user a test runs the daemon as (nobody), as /tmp is.
const runDir = mkdtempSync(join(tmpdir(), 'xinetd-ts-tests-'));
chmodSync(runDir, 0o755);
// The daemons under test read no host's /etc/hosts.allow or hosts.deny (a rule there would
// refuse their clients): files that do not exist, unless a test names its own.
const env = {
  ...process.env,
  TMPDIR: runDir,
  XINETD_TS_HOSTS_ALLOW: process.env.XINETD_TS_HOSTS_ALLOW ?? join(runDir, 'no-hosts.allow'),
  XINETD_TS_HOSTS_DENY: process.env.XINETD_TS_HOSTS_DENY ?? join(runDir, 'no-hosts.deny'),
};
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=120000', ...selected], { stdio: 'inherit', env });
rmSync(runDir, { recursive: true, force: true });
process.exit(result.status ?? 1);
