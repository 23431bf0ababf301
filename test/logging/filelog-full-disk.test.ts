/**
 * -filelog on a disk that fills up: the daemon's messages written meanwhile are lost (said once
 * on stderr), and once there is room again the file gets the next ones, opening with how many
 * were lost. The daemon runs in a private mount namespace with a 64 KiB tmpfs for its log,
 * reached from here through /proc/PID/root.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shebangEnv, shebangNodeOptions } from '../helpers/cli-node-options.js';
import { CLI, tempDir } from '../helpers/daemon.js';
import { freePort } from '../helpers/net.js';
import { readLines, waitFor, waitForLine } from '../helpers/wait.js';

test('-filelog on a full disk: the loss is said on stderr, and the messages come back with the count once there is room', async (t) => {
  const dir = tempDir();
  const port = await freePort();
  const conf = join(dir, 'xinetd.conf');
  writeFileSync(conf, `service daytime\n{\n\ttype = INTERNAL UNLISTED\n\tsocket_type = stream\n\twait = no\n\tport = ${port}\n\tbind = 127.0.0.1\n}\n`);
  const filelog = join(dir, 'full', 'messages.log');
  const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mkdir -p "$0/full" && mount -t tmpfs -o size=64k tmpfs "$0/full" && exec "$@"', dir,
    process.execPath, ...shebangNodeOptions(CLI), CLI, '-dontfork', '-f', conf, '-filelog', filelog], { stdio: ['ignore', 'ignore', 'pipe'], env: shebangEnv(CLI) });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = once(child, 'exit');
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  // The daemon's view of its files (the tmpfs exists only in its mount namespace).
  const seen = (path: string) => `/proc/${child.pid}/root${path}`;
  await waitForLine(seen(filelog), /Started working/, 15_000);

  const filler = seen(join(dir, 'full', 'filler'));
  try {
    writeFileSync(filler, Buffer.alloc(128 * 1024));
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, 'ENOSPC');
  }
  // Each reload writes a dozen lines: the last page of the log fills, then a write fails.
  await waitFor('the full disk said on stderr', () => {
    child.kill('SIGHUP');
    return /ENOSPC/.test(stderr) ? true : undefined;
  }, { ms: 10_000, everyMs: 200 });
  assert.match(stderr, new RegExp(`xinetd-ts: log file ${filelog}: ENOSPC: no space left on device, write; records are dropped until it recovers\\n`));

  rmSync(filler);
  const recovered = await waitFor('messages in the log again', async () => {
    child.kill('SIGHUP');
    return (await readLines(seen(filelog))).find((l) => /NOTICE: log file .*: recovered \(\d+ records? lost\)$/.test(l));
  }, { ms: 10_000, everyMs: 300 });
  assert.ok(Number(/recovered \((\d+)/.exec(recovered)![1]) > 0, recovered);
  await waitFor('a reload logged after the recovery', async () => {
    child.kill('SIGHUP');
    const now = await readLines(seen(filelog));
    return now.slice(now.indexOf(recovered)).some((l) => /Reconfigured:/.test(l)) ? true : undefined;
  }, { ms: 10_000, everyMs: 300 });
  assert.equal(stderr.match(/records are dropped/g)?.length, 1, 'the failure is said once');
  child.kill('SIGTERM');
  await exited;
});
