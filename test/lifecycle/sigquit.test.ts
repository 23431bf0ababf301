/**
 * SIGQUIT (Debian's init script stops xinetd with it, so `service xinetd restart` is a SIGQUIT
 * and a new start): xinetd closes its sockets and exits, while every running session survives,
 * in-process ones too (xinetd forks a child for stream echo/chargen/discard and redirect). Here
 * the daemon closes its sockets, removes its pid file and lingers until its in-process sessions
 * have ended by themselves. SIGTERM still ends everything at once.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { startDaemon, tempDir } from '../helpers/daemon.js';
import { exitOf, freePorts, hold, service, tryConnect } from '../helpers/e2e.js';
import { backend } from '../helpers/redirect-backends.js';
import { waitFor } from '../helpers/wait.js';

/** An internal stream echo on `echo` and a redirect on `redirect` to an echoing backend. */
const config = (echo: number, redirect: number, target: number) => ({ log }: { log: string }) => [
  `defaults\n{\n\tlog_type = FILE ${log}\n\tlog_on_success = PID HOST EXIT\n}\n`,
  service('echo', ['type = INTERNAL UNLISTED', 'socket_type = stream', 'wait = no', `port = ${echo}`, 'bind = 127.0.0.1']),
  service('r1', ['type = UNLISTED', 'socket_type = stream', 'protocol = tcp', 'wait = no', `port = ${redirect}`, 'bind = 127.0.0.1', `redirect = 127.0.0.1 ${target}`, 'log_on_success += TRAFFIC']),
].join('');

const echoBackend = () => backend((socket) => socket.pipe(socket));

/** A daemon on `config` with its echoing backend, both stopped after the test. */
async function started(t: TestContext) {
  const target = await echoBackend();
  t.after(() => target.close());
  const [echoPort, redirectPort] = await freePorts(2);
  const d = await startDaemon(config(echoPort!, redirectPort!, target.port));
  t.after(() => d.stop());
  return { d, echoPort: echoPort!, redirectPort: redirectPort! };
}

test('SIGQUIT: in-process sessions keep working, the ports are free for a new daemon, the old process exits 0 after the last session', async (t) => {
  const target = await echoBackend();
  t.after(() => target.close());
  const [echoPort, redirectPort] = await freePorts(2);
  const pidfile = join(tempDir(), 'xinetd.pid');
  const old = await startDaemon(config(echoPort!, redirectPort!, target.port), { args: ['-pidfile', pidfile] });
  t.after(() => old.stop());
  const echo = await hold(echoPort!);
  t.after(() => echo.end());
  const proxied = await hold(redirectPort!);
  t.after(() => proxied.end());
  echo.socket.write('e1 ');
  await echo.expect(/^e1 $/);
  proxied.socket.write('r1 ');
  await proxied.expect(/^r1 $/);
  await old.waitForLog(/START: r1 pid=0/);

  old.signal('SIGQUIT');
  await old.waitForMessage(/WARNING: Exiting\.\.\./);
  assert.equal(await tryConnect(echoPort!, '127.0.0.1'), 'ECONNREFUSED');
  assert.equal(await tryConnect(redirectPort!, '127.0.0.1'), 'ECONNREFUSED');
  await waitFor('the pid file to go', () => (existsSync(pidfile) ? undefined : true));
  echo.socket.write('e2 ');
  await echo.expect(/^e1 e2 $/);
  proxied.socket.write('r2 ');
  await proxied.expect(/^r1 r2 $/);
  assert.equal(old.child.exitCode, null, 'the old daemon lingers while its sessions run');
  // What `ps` shows for it.
  assert.match(readFileSync(`/proc/${old.child.pid}/cmdline`, 'latin1'), /^xinetd-ts: exiting, 2 sessions left/);

  // A new daemon on the same ports (init script restart) starts and serves meanwhile.
  const next = await startDaemon(config(echoPort!, redirectPort!, target.port), { args: ['-pidfile', pidfile] });
  t.after(() => next.stop());
  await waitFor('the new pid file', () => (existsSync(pidfile) ? readFileSync(pidfile, 'utf8') : undefined));
  const fresh = await hold(echoPort!);
  t.after(() => fresh.end());
  fresh.socket.write('new');
  await fresh.expect(/^new$/);
  await next.waitForLog(/START: echo pid=0/);
  echo.socket.write('e3');
  await echo.expect(/^e1 e2 e3$/);
  proxied.socket.write('r3');
  await proxied.expect(/^r1 r2 r3$/);

  // The sessions end by themselves; their records still go to the old daemon's log.
  echo.end();
  await old.waitForLog(/EXIT: echo status=0 pid=0/);
  assert.equal(old.child.exitCode, null, 'one session is still running');
  proxied.end();
  assert.deepEqual(await exitOf(old.child), { code: 0, signal: null });
  const records = (await old.logLines()).join('\n');
  assert.match(records, /TRAFFIC: r1 in=8\(bytes\) out=8\(bytes\)/);
  assert.match(records, /EXIT: r1 status=0 pid=0/);
  // The old daemon never touched the new daemon's pid file.
  assert.equal(readFileSync(pidfile, 'utf8'), `${next.child.pid}\n`);
  assert.equal(next.child.exitCode, null);
});

test('SIGQUIT with no in-process session running exits at once', async (t) => {
  const { d } = await started(t);
  d.signal('SIGQUIT');
  assert.deepEqual(await exitOf(d.child), { code: 0, signal: null });
});

test('SIGTERM during the SIGQUIT linger ends the sessions and the process', async (t) => {
  const { d, echoPort } = await started(t);
  const echo = await hold(echoPort!);
  t.after(() => echo.end());
  await d.waitForLog(/START: echo pid=0/);
  d.signal('SIGQUIT');
  await d.waitForMessage(/Exiting\.\.\./);
  echo.socket.write('still');
  await echo.expect(/^still$/);
  d.signal('SIGTERM');
  await echo.closed();
  assert.deepEqual(await exitOf(d.child), { code: 0, signal: null });
});

test('SIGTERM ends in-process sessions (echo and redirect) at once', async (t) => {
  const { d, echoPort, redirectPort } = await started(t);
  const echo = await hold(echoPort!);
  t.after(() => echo.end());
  const proxied = await hold(redirectPort!);
  t.after(() => proxied.end());
  proxied.socket.write('x');
  await proxied.expect(/^x$/);
  await d.waitForLog(/START: echo pid=0/);
  d.signal('SIGTERM');
  await echo.closed();
  await proxied.closed();
  assert.deepEqual(await exitOf(d.child), { code: 0, signal: null });
});
