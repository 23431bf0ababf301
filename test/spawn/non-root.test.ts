/**
 * A daemon that does not run as root (reference 11.3): it changes no group, still attempts
 * setuid, so it can run servers as its own user; another `user` fails in the child with
 * `setuid failed: ...`, exit status 1, and the service keeps serving.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI, tempDir } from '../helpers/daemon.js';
import { exitOf, fixture, freePorts, loggingDefaults, streamService, waitForLines } from '../helpers/e2e.js';
import { exchange } from '../helpers/net.js';
import { waitForLine } from '../helpers/wait.js';

const NOBODY = 65534;

test('a daemon running as nobody serves as nobody; user = root fails with "setuid failed" and the service keeps serving', async (t) => {
  const [pSelf, pRoot] = await freePorts(2);
  const dir = tempDir();
  chownSync(dir, NOBODY, NOBODY);
  const conf = join(dir, 'xinetd.conf');
  const messages = join(dir, 'messages.log');
  const log = join(dir, 'service.log');
  writeFileSync(conf, [
    loggingDefaults(log),
    streamService('self', pSelf!, fixture('limits.sh'), [], 'nobody'),
    streamService('as-root', pRoot!, fixture('args.sh'), ['server_args = never'], 'root'),
  ].join('\n'));
  const child = spawn(process.execPath, [CLI, '-dontfork', '-f', conf, '-filelog', messages], { uid: NOBODY, gid: NOBODY, cwd: dir, stdio: 'ignore' });
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exitOf(child).catch(() => child.kill('SIGKILL'));
  });
  await waitForLine(messages, /Started working: 2 available services/);

  const ident = (await exchange(pSelf!)).toString();
  assert.match(ident, /^uid 65534\ngid 65534\ngroups 65534\n/);

  assert.equal((await exchange(pRoot!)).toString(), '', 'the client is closed without output');
  assert.match(await waitForLine(messages, /setuid failed/), /ERROR: setuid failed: Operation not permitted \(errno = 1\)$/);
  const exit = (await waitForLines(log, /EXIT: as-root /, 1))[0]!;
  assert.match(exit, /EXIT: as-root status=1 pid=\d+$/);

  assert.match((await exchange(pSelf!)).toString(), /^uid 65534\n/);
});
