/**
 * The command line as init scripts and unit files use it (reference 15): detaching, -version,
 * usage errors, ignored unknown options, -stayalive and the zero-services exit.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { CLI, startDaemon, tempDir } from '../helpers/daemon.js';
import { alive, exitOf, fixture, freePorts, run, streamService, waitForGone } from '../helpers/e2e.js';
import { exchange } from '../helpers/net.js';
import { waitFor, waitForLine } from '../helpers/wait.js';

const greeter = (port: number) => streamService('hello', port, fixture('args.sh'), ['server_args = hello']);

test('-version prints a version line and exits 0', async () => {
  const r = await runCli(['-version']);
  assert.equal(r.code, 0);
  assert.match(r.stderr, /^xinetd-ts \d+\.\d+\.\d+\S* .*\n$/);
});

test('-filelog and -syslog together are a usage error (exit 1)', async () => {
  const dir = tempDir();
  const r = await runCli(['-filelog', join(dir, 'x'), '-syslog', 'daemon', '-f', join(dir, 'none.conf')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /-filelog and -syslog cannot be used together/);
  assert.match(r.stderr, /Usage: xinetd-ts /);
});

test('unknown options are ignored (Debian init scripts pass -inetd_ipv6)', async (t) => {
  const [port] = await freePorts(1);
  const d = await startDaemon(greeter(port!), { args: ['-inetd_ipv6', '-frobnicate', '-reuse'] });
  t.after(() => d.stop());
  assert.equal((await exchange(port!)).toString(), '[hello]\n');
});

test('-limit with a negative number is no limit, as xinetd takes it', async (t) => {
  const [port] = await freePorts(1);
  const d = await startDaemon(greeter(port!), { args: ['-limit', '-1'] });
  t.after(() => d.stop());
  assert.equal((await exchange(port!)).toString(), '[hello]\n');
});

test('without -dontfork the command returns once the detached daemon serves', async (t) => {
  const [port] = await freePorts(1);
  const dir = tempDir();
  const conf = join(dir, 'xinetd.conf');
  const pidfile = join(dir, 'xinetd.pid');
  const messages = join(dir, 'messages.log');
  writeFileSync(conf, greeter(port!));
  const r = await runCli(['-f', conf, '-filelog', messages, '-pidfile', pidfile], { ms: 5000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  // Nothing to wait for: the pid file is there and the service answers when the command returns.
  assert.equal(existsSync(pidfile), true, 'the pid file exists when the command returns');
  const pid = Number(readFileSync(pidfile, 'utf8'));
  t.after(() => {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
  assert.equal(alive(pid), true);
  assert.equal((await exchange(port!)).toString(), '[hello]\n');
  await waitForLine(messages, /Started working: 1 available service/);
  // Its own session, no controlling terminal.
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  assert.equal(Number(fields[3]), pid, 'session leader');
  assert.equal(Number(fields[4]), 0, 'no controlling terminal');
  // Found by name as xinetd is (pgrep -x, killall), the command line kept for ps.
  assert.equal(readFileSync(`/proc/${pid}/comm`, 'utf8'), 'xinetd-ts\n');
  const pgrep = await run('pgrep', ['-x', 'xinetd-ts']);
  assert.ok(pgrep.stdout.split('\n').includes(String(pid)), pgrep.stdout);
  assert.match(readFileSync(`/proc/${pid}/cmdline`, 'latin1'), /\0-pidfile\0/);
  process.kill(pid, 'SIGTERM');
  await waitForGone(pid);
  assert.equal(existsSync(pidfile), false, 'the pid file is removed on exit');
});

test('a detached start that fails returns the daemon\'s status and says why, or where its messages went', async () => {
  const dir = tempDir();
  const r = await runCli(['-f', join(dir, 'missing.conf'), '-filelog', join(dir, 'messages.log')], { ms: 5000 });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^xinetd-ts: XI_ERR_CONFIG_UNREADABLE: Cannot read configuration file .*missing\.conf/m);
  assert.match(r.stderr, new RegExp(`^xinetd-ts: the daemon ended during start-up \\(exit status 1\\); its messages went to ${join(dir, 'messages.log').replace(/[.]/g, '\\.')}$`, 'm'));
  // Without -filelog they went to syslog.
  const s = await runCli(['-f', join(dir, 'missing.conf'), '-syslog', 'local3'], { ms: 5000 });
  assert.equal(s.code, 1);
  assert.match(s.stderr, /its messages went to syslog \(facility local3\)$/m);
});

test('zero services without -stayalive: "no services. Exiting..." (and no started line), exit 1', async () => {
  const dir = tempDir();
  const conf = join(dir, 'xinetd.conf');
  const messages = join(dir, 'messages.log');
  writeFileSync(conf, '# nothing here\n');
  // The detached daemon logs and exits; the command returns its status.
  const detached = await runCli(['-f', conf, '-filelog', messages]);
  assert.equal(detached.code, 1);
  assert.match(detached.stderr, /the daemon ended during start-up \(exit status 1\)/);
  assert.match(await waitForLine(messages, /no services/), /CRITICAL: no services\. Exiting\.\.\.$/);
  assert.doesNotMatch(readFileSync(messages, 'utf8'), /started|Started working/);
  // The same path in the foreground (XINETD_TS_DETACHED=1 is how the detached half runs): exit 1.
  const child = spawn(process.execPath, [CLI, '-f', conf, '-filelog', join(dir, 'fg.log')], { stdio: 'ignore', env: { ...process.env, XINETD_TS_DETACHED: '1' } });
  assert.deepEqual(await exitOf(child), { code: 1, signal: null });
});

test('a reload that leaves no services ends a daemon without -stayalive (exit 1)', async (t) => {
  const [port] = await freePorts(1);
  const dir = tempDir();
  const conf = join(dir, 'xinetd.conf');
  const messages = join(dir, 'messages.log');
  writeFileSync(conf, greeter(port!));
  const child = spawn(process.execPath, [CLI, '-f', conf, '-filelog', messages], { stdio: 'ignore', env: { ...process.env, XINETD_TS_DETACHED: '1' } });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await waitForLine(messages, /Started working: 1 available service/);
  writeFileSync(conf, '# all gone\n');
  child.kill('SIGHUP');
  assert.deepEqual(await exitOf(child), { code: 1, signal: null });
  assert.match(await waitForLine(messages, /No available services/), /CRITICAL: No available services\. Exiting$/);
});

test('-stayalive keeps a daemon with zero services running', async (t) => {
  const dir = tempDir();
  const conf = join(dir, 'xinetd.conf');
  const messages = join(dir, 'messages.log');
  writeFileSync(conf, '# nothing here\n');
  const child = spawn(process.execPath, [CLI, '-stayalive', '-f', conf, '-filelog', messages, '-dumpfile', join(dir, 'dump')], { stdio: 'ignore', env: { ...process.env, XINETD_TS_DETACHED: '1' } });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await waitForLine(messages, /Started working: 0 available services/);
  // Still there and handling signals after startup.
  child.kill('SIGUSR1');
  await waitForLine(messages, /generated state dump/);
  assert.equal(child.exitCode, null);
  child.kill('SIGTERM');
  assert.deepEqual(await exitOf(child), { code: 0, signal: null });
});

test('-d writes the configuration read to stderr in xinetd layout, at start and on each reload', async (t) => {
  const dir = tempDir();
  const [port, broken] = await freePorts(2);
  const conf = join(dir, 'xinetd.conf');
  // The shape of a vsftpd entry, and one that does not start (it must not be dumped).
  writeFileSync(conf, `defaults\n{\n\tinstances = 60\n\tlog_type = FILE ${dir}/services.log\n}\n` +
    streamService('ftp', port!, '/bin/sleep', ['server_args = 2', 'instances = 2', 'log_on_failure += USERID'], 'root') +
    streamService('broken', broken!, '/no/such/server'));
  const child = spawn(process.execPath, [CLI, '-d', '-f', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  await waitFor('the start', () => (/Started working/.test(stderr) ? true : undefined));
  // xinetd 2.3.15 -d: after the configuration's errors, before the services start.
  const ftp = '\nService configuration: ftp\n\tid = ftp\n\tflags = IPv6\n\ttype = UNLISTED\n\tsocket_type = stream\n\tProtocol (name,number) = (tcp,6)\n' +
    `\tport = ${port}\n\tInstances = 2\n\twait = no\n\tuser = 0\n`;
  const serverLines = '\tServer = /bin/sleep\n\tServer argv = sleep 2\n';
  const start = stderr.indexOf('Service defaults\n\tInstances = 60\n');
  assert.ok(start > stderr.indexOf('Server /no/such/server is not executable'), stderr);
  assert.ok(stderr.indexOf(ftp) > start && stderr.indexOf(serverLines) > stderr.indexOf(ftp), stderr);
  // Each block ends with a blank line.
  assert.match(stderr, /\tLog_on_failure flags = USERID\n\n/);
  assert.ok(stderr.indexOf(ftp) < stderr.indexOf('started with'), stderr);
  assert.doesNotMatch(stderr, /Service configuration: broken/);

  child.kill('SIGHUP');
  await waitFor('the reload', () => (/Reconfigured/.test(stderr) ? true : undefined));
  const reload = stderr.slice(stderr.indexOf('Starting reconfiguration'));
  assert.ok(reload.indexOf(ftp) > 0 && reload.indexOf(ftp) < reload.indexOf('Swapping defaults'), reload);
  child.kill('SIGTERM');
  await exitOf(child);
});
