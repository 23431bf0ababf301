/**
 * How servers end, as the log records show it: EXIT with status=N or signal=N, and a server
 * that cannot be executed is logged while the service keeps serving (reference 9.1, 11.5).
 */
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';
import { fixture, freePorts, loggingDefaults, pidOf, streamService, waitForLines } from '../helpers/e2e.js';
import { exchange } from '../helpers/net.js';

test('EXIT records carry status=N, or signal=N for a server killed by a signal', async (t) => {
  const [pStatus, pSegv, pKill] = await freePorts(3);
  const d = await startDaemon(({ log }) => [
    loggingDefaults(log),
    streamService('st3', pStatus!, fixture('exit-with.sh'), ['server_args = status 3']),
    streamService('segv', pSegv!, fixture('exit-with.sh'), ['server_args = signal SEGV']),
    streamService('kill9', pKill!, fixture('exit-with.sh'), ['server_args = signal 9']),
  ].join('\n'));
  t.after(() => d.stop());
  for (const p of [pStatus!, pSegv!, pKill!]) await exchange(p);
  for (const [id, end] of [['st3', 'status=3'], ['segv', 'signal=11'], ['kill9', 'signal=9']] as const) {
    const start = await d.waitForLog(new RegExp(`^\\S+: START: ${id} pid=\\d+ from=::ffff:127\\.0\\.0\\.1$`));
    const exit = await d.waitForLog(new RegExp(`^\\S+: EXIT: ${id} `));
    assert.equal(exit.replace(/^\S+: /, ''), `EXIT: ${id} ${end} pid=${pidOf(start)}`);
  }
});

test('a server binary removed or made non-executable after start is logged; the service keeps serving and others are unaffected', async (t) => {
  const [pGone, pOther] = await freePorts(2);
  const d = await startDaemon(({ dir, log }) => {
    copyFileSync(fixture('args.sh'), join(dir, 'server.sh'));
    chmodSync(join(dir, 'server.sh'), 0o755);
    return [
      loggingDefaults(log),
      streamService('flaky', pGone!, join(dir, 'server.sh'), ['server_args = served'], 'root'),
      streamService('steady', pOther!, fixture('args.sh'), ['server_args = steady']),
    ].join('\n');
  });
  t.after(() => d.stop());
  const server = join(d.dir, 'server.sh');
  assert.equal((await exchange(pGone!)).toString(), '[served]\n');

  // Removed: the exec fails, the client is closed without output, the other service is fine.
  unlinkSync(server);
  assert.equal((await exchange(pGone!)).toString(), '');
  const missing = await d.waitForMessage(/execv\( .* \) failed/);
  assert.ok(missing.endsWith(`ERROR: execv( ${server} ) failed: No such file or directory (errno = 2)`), missing);
  assert.equal((await exchange(pOther!)).toString(), '[steady]\n');

  // Back, but not executable: the same, with the new reason.
  copyFileSync(fixture('args.sh'), server);
  chmodSync(server, 0o644);
  assert.equal((await exchange(pGone!)).toString(), '');
  const denied = await d.waitForMessage(/execv\( .* \) failed: Permission denied/);
  assert.ok(denied.endsWith(`ERROR: execv( ${server} ) failed: Permission denied (errno = 13)`), denied);

  chmodSync(server, 0o755);
  assert.equal((await exchange(pGone!)).toString(), '[served]\n');
  // xinetd's child exits with status 0 after a failed exec.
  const exits = await waitForLines(d.serviceLog, / EXIT: flaky /, 4);
  assert.match(exits[1]!, /EXIT: flaky status=0 pid=\d+$/);
  assert.match(exits[2]!, /EXIT: flaky status=0 pid=\d+$/);
});
