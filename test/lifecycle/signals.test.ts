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
import { alive, echoingSession, exitOf, freePorts, loggingDefaults, pidOf, streamService, waitForGone } from '../helpers/e2e.js';
import { exchange } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

const catConfig = (port: number) => ({ log }: { log: string }) => [loggingDefaults(log), streamService('cat', port, '/bin/cat')].join('\n');

test('SIGTERM ends the daemon and the servers it started', async (t) => {
  const [port] = await freePorts(1);
  const d = await startDaemon(catConfig(port!));
  t.after(() => d.stop());
  const c = await echoingSession(t, port!, 'hi\n');
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

test('a -pidfile that cannot be written is logged in xinetd\'s words with its path, and the daemon serves on (it used to exit)', async (t) => {
  const [port] = await freePorts(1);
  const pidfile = join(tempDir(), 'missing-dir', 'xinetd.pid');
  const d = await startDaemon(catConfig(port!), { args: ['-pidfile', pidfile] });
  t.after(() => d.stop());
  await d.waitForMessage(new RegExp(`ERROR: open failed: No such file or directory \\(errno = 2\\) \\(pid file ${pidfile}\\)$`));
  assert.equal((await exchange(port!, 'still here')).toString(), 'still here');
  assert.equal(d.child.exitCode, null);
});

test('SIGQUIT ends the daemon and leaves spawned servers running', async (t) => {
  const [port] = await freePorts(1);
  const d = await startDaemon(catConfig(port!));
  t.after(() => d.stop());
  const c = await echoingSession(t, port!, 'one\n');
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

/** ctime(3) without the newline: `Sun Nov  2 07:10:13 2026`. */
const CTIME = String.raw`(Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d \d{4}`;

test('SIGUSR1 appends a state dump in xinetd\'s layout to the -dumpfile', async (t) => {
  const [port] = await freePorts(1);
  const d = await startDaemon(({ log }) => [
    loggingDefaults(log, ['instances = 20', 'per_source = 5', 'only_from = 127.0.0.0/8']),
    streamService('cat', port!, '/bin/cat', ['server_args = -u', 'only_from = 127.0.0.1 10.0.0.0/8 localhost', 'no_access = 10.1.1.1', 'env = GREETING=hello']),
  ].join('\n'));
  t.after(() => d.stop());
  const c = await echoingSession(t, port!, 'hi\n');
  const server = pidOf(await d.waitForLog(/START: cat pid=/));
  d.signal('SIGUSR1');
  const line = await d.waitForMessage(/generated state dump in file/);
  assert.ok(line.endsWith(`generated state dump in file ${d.dumpFile}`), line);
  const dump = readFileSync(d.dumpFile, 'utf8');
  assert.match(dump, /^INTERNAL STATE DUMP: /);
  assert.match(dump, new RegExp(`^Current time: ${CTIME}$`, 'm'));
  const defaults = dump.slice(dump.indexOf('Service defaults\n'), dump.indexOf('Service = cat\n'));
  for (const l of ['Instances = 20', 'PER_SOURCE = 5', 'Bind = All addresses.', 'Only from:  127.0.0.0/255.0.0.0(NET)', 'No access: No blocked sites', 'Log_on_success flags = HOST EXIT PID']) {
    assert.ok(defaults.includes(`\n\t${l}\n`), `defaults block has ${l}:\n${defaults}`);
  }
  assert.match(defaults, /\n\tLogging to file: .*service\.log \(no limits\)\n/);
  const service = dump.slice(dump.indexOf('Service = cat\n'), dump.indexOf('Server table dump:'));
  const expected = [
    'id = cat', 'flags = IPv6', 'type = UNLISTED', 'socket_type = stream', 'Protocol (name,number) = (tcp,6)', `port = ${port}`,
    'Instances = 20', 'wait = no', 'Groups = no', 'PER_SOURCE = 5', 'Bind = All addresses.', 'Server = /bin/cat', 'Server argv = cat -u',
    'Only from:  127.0.0.1(NUMERIC) 10.0.0.0/255.0.0.0(NET) localhost(HOST)', 'No access:  10.1.1.1(NUMERIC)',
    'Logging to common log file', 'Log_on_success flags = HOST EXIT PID', 'Log_on_failure flags = HOST', 'Environment additions:',
  ];
  let at = 0;
  for (const l of expected) {
    const i = service.indexOf(`\n\t\t${l}\n`, at);
    assert.ok(i >= 0, `service block has ${l} (after the previous line):\n${service}`);
    at = i + 1;
  }
  assert.match(service, /\n\t\tuser = \d+\n\t\tgroup = \d+\n/);
  assert.match(service, /\n\t\tEnvironment additions:\n\t\t\tGREETING=hello\n\t\tEnvironment strings:\n/);
  assert.match(service, /\n\trunning servers = 1\n/);
  assert.match(dump, new RegExp(`\nServer table dump:\ncat server\npid = ${server}\nstart_time = ${CTIME}\nConnection info:\n\tservice = cat\n\tremote_address = [^\n]*127\.0\.0\.1,${c.socket.localPort}\n`));
  assert.match(dump, /\nrunning_servers = 1\n/);
  assert.match(dump, /\nEND OF DUMP\n/);
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
