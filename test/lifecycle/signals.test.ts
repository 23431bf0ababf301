/**
 * Signals (reference 16.1) and the pid file: SIGTERM ends the daemon and its servers (the
 * manual's behaviour, a documented difference), SIGQUIT leaves them running, SIGUSR1 dumps,
 * SIGABRT checks consistency.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon, tempDir } from '../helpers/daemon.js';
import { alive, exitOf, freePorts, hold, loggingDefaults, pidOf, streamService, waitForGone } from '../helpers/e2e.js';
import { exchange } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

const catConfig = (port: number) => ({ log }: { log: string }) => [loggingDefaults(log), streamService('cat', port, '/bin/cat')].join('\n');

test('SIGTERM ends the daemon and the servers it started', async (t) => {
  const [port] = await freePorts(1);
  const d = await startDaemon(catConfig(port!));
  t.after(() => d.stop());
  const c = await hold(port!);
  t.after(() => c.end());
  c.socket.write('hi\n');
  await c.expect(/^hi\n$/);
  const server = pidOf(await d.waitForLog(/START: cat pid=/));
  d.signal('SIGTERM');
  assert.deepEqual(await exitOf(d.child), { code: 0, signal: null });
  await waitForGone(server);
  await c.closed();
  assert.match(await d.waitForMessage(/Exiting\.\.\./), /WARNING: Exiting\.\.\./);
  // As xinetd: the servers signalled are named; no per-service line at exit.
  const messages = readFileSync(d.messages, 'utf8');
  assert.match(messages, new RegExp(`WARNING: Sending signal 15 to cat server ${server}\n`));
  assert.doesNotMatch(messages, /deactivated/);
});

test('-pidfile is written with the daemon pid and removed on exit', async (t) => {
  const [port] = await freePorts(1);
  const dir = tempDir();
  const pidfile = join(dir, 'xinetd.pid');
  const d = await startDaemon(catConfig(port!), { args: ['-pidfile', pidfile] });
  t.after(() => d.stop());
  const text = await waitFor('pid file', () => (existsSync(pidfile) ? readFileSync(pidfile, 'utf8') : undefined));
  assert.equal(text, `${d.child.pid}\n`);
  d.signal('SIGTERM');
  await exitOf(d.child);
  assert.equal(existsSync(pidfile), false);
});

test('SIGQUIT ends the daemon and leaves spawned servers running', async (t) => {
  const [port] = await freePorts(1);
  const d = await startDaemon(catConfig(port!));
  t.after(() => d.stop());
  const c = await hold(port!);
  t.after(() => c.end());
  c.socket.write('one\n');
  await c.expect(/^one\n$/);
  const server = pidOf(await d.waitForLog(/START: cat pid=/));
  t.after(() => {
    if (alive(server)) process.kill(server, 'SIGKILL');
  });
  d.signal('SIGQUIT');
  assert.deepEqual(await exitOf(d.child), { code: 0, signal: null });
  assert.ok(alive(server), 'the server survives SIGQUIT');
  c.socket.write('two\n');
  await c.expect(/^one\ntwo\n$/);
  process.kill(server, 'SIGTERM');
  await waitForGone(server);
});

test('SIGUSR1 writes the state dump to the -dumpfile', async (t) => {
  const [port] = await freePorts(1);
  const d = await startDaemon(catConfig(port!));
  t.after(() => d.stop());
  d.signal('SIGUSR1');
  const line = await d.waitForMessage(/generated state dump in file/);
  assert.ok(line.endsWith(`generated state dump in file ${d.dumpFile}`), line);
  const dump = readFileSync(d.dumpFile, 'utf8');
  assert.match(dump, /^INTERNAL STATE DUMP: /);
  assert.match(dump, /Service = cat\n/);
  assert.match(dump, new RegExp(`port = ${port}\n`));
  assert.match(dump, /END OF DUMP/);
});

test('SIGABRT runs the consistency check', async (t) => {
  const [port] = await freePorts(1);
  const d = await startDaemon(catConfig(port!));
  t.after(() => d.stop());
  d.signal('SIGABRT');
  assert.match(await d.waitForMessage(/Consistency check/), /INFO: Consistency check passed$/);
  assert.equal(d.child.exitCode, null, 'the daemon keeps running');
});

test('signals xinetd ignores (ALRM, VTALRM, PROF, XCPU, IO, PWR, SYS, TRAP, STKFLT) leave the daemon serving', async (t) => {
  const [port] = await freePorts(1);
  const d = await startDaemon(catConfig(port!));
  t.after(() => d.stop());
  for (const signal of ['SIGALRM', 'SIGVTALRM', 'SIGPROF', 'SIGXCPU', 'SIGIO', 'SIGPWR', 'SIGSYS', 'SIGTRAP', 'SIGSTKFLT'] as const) {
    d.signal(signal);
    // A connection served after the signal: the signal was delivered and handled first, or the
    // process is gone and the connection fails.
    assert.equal((await exchange(port!, `after ${signal}\n`)).toString(), `after ${signal}\n`, signal);
    assert.equal(d.child.exitCode, null, `${signal} ended the daemon`);
    assert.equal(d.child.signalCode, null, `${signal} ended the daemon`);
  }
});
