/**
 * The shipped systemd unit and SysV init script (docs/examples/system/), run against the real
 * daemon: the unit checked by systemd-analyze and its commands honoured as `Type=forking`
 * expects; the init script driven through Debian's start-stop-daemon and LSB functions.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { CLI, ROOT, tempDir } from '../helpers/daemon.js';
import { alive, freePorts, hold, pidOf, run, streamService, waitForGone, loggingDefaults } from '../helpers/e2e.js';
import { exchange } from '../helpers/net.js';
import { waitForLine } from '../helpers/wait.js';

const SYSTEM = join(ROOT, 'docs/examples/system');
const INSTALLED = '/usr/local/bin/xinetd-ts';

/** A config with a greeting service and a /bin/cat service, logging START records to `log`. */
function config(log: string, greet: number, cat: number): string {
  return loggingDefaults(log) +
    streamService('hello', greet, '/bin/echo', ['server_args = hello', 'bind = 127.0.0.1']) +
    streamService('cat', cat, '/bin/cat', ['bind = 127.0.0.1']);
}

/** A temp directory with a configuration (hello and cat services) and the paths the tests use. */
async function setUp(t: TestContext) {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const [greet, cat] = await freePorts(2);
  const log = join(dir, 'services.log');
  const conf = join(dir, 'xinetd.conf');
  writeFileSync(conf, config(log, greet, cat));
  return { dir, greet: greet, cat: cat, log, conf, messages: join(dir, 'messages.log'), pidfile: join(dir, 'xinetd-ts.pid'), defaults: join(dir, 'default') };
}

/** The [Service] settings of a unit file (one value per key; the last one wins, as in systemd). */
function serviceSection(unit: string): Map<string, string> {
  const settings = new Map<string, string>();
  let inService = false;
  for (const line of unit.split('\n')) {
    if (/^\[.*\]$/.test(line)) inService = line === '[Service]';
    const m = /^(\w+)=(.*)$/.exec(line);
    if (inService && m) settings.set(m[1]!, m[2]!);
  }
  return settings;
}

test('the systemd unit passes systemd-analyze; its ExecStart returns with the daemon serving and PIDFile written, ExecReload reloads, KillSignal leaves servers running', async (t) => {
  const { dir, greet, cat, log, conf, messages, pidfile, defaults } = await setUp(t);
  // The options file, as /etc/default/xinetd-ts would hold them.
  writeFileSync(defaults, `XINETD_TS_OPTS="-stayalive -f ${conf} -filelog ${messages}"\n`);
  const unit = readFileSync(join(SYSTEM, 'xinetd-ts.service'), 'utf8')
    .replaceAll(INSTALLED, CLI)
    .replaceAll('/run/xinetd-ts.pid', pidfile)
    .replaceAll('/etc/default/xinetd-ts', defaults);
  const unitFile = join(dir, 'xinetd-ts.service');
  writeFileSync(unitFile, unit);
  // --man=no: the pages the unit names (xinetd-ts(8), xinetd.conf(5)) are installed with the packages, not here.
  const verify = await run('systemd-analyze', ['verify', '--man=no', unitFile], { ms: 20_000 });
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  assert.equal(verify.stderr.trim(), '');

  const s = serviceSection(unit);
  assert.equal(s.get('Type'), 'forking');
  assert.equal(s.get('PIDFile'), pidfile);
  // ExecStart as systemd runs it: $VAR unquoted is split at whitespace.
  const options = /XINETD_TS_OPTS="(.*)"/.exec(readFileSync(defaults, 'utf8'))![1]!;
  const argv = s.get('ExecStart')!.replace('$XINETD_TS_OPTS', options).split(/\s+/);
  assert.equal(argv[0], CLI);
  const start = await run(argv[0]!, argv.slice(1), { ms: 10_000 });
  assert.equal(start.code, 0, start.stderr);
  // Type=forking: when the command has returned, PIDFile names the live daemon, which serves.
  const pid = Number(readFileSync(pidfile, 'utf8'));
  t.after(() => {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
  assert.equal(alive(pid), true);
  assert.equal((await exchange(greet)).toString(), 'hello\n');
  // The command's #! line sets the daemon's memory settings (docs/performance.md, "Memory").
  assert.ok(readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes('MALLOC_ARENA_MAX=2'));
  assert.ok(readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').includes('--max-semi-space-size=4'));

  // ExecReload with $MAINPID.
  const reload = s.get('ExecReload')!.replace('$MAINPID', String(pid)).split(/\s+/);
  assert.equal((await run(reload[0]!, reload.slice(1))).code, 0);
  await waitForLine(messages, /Reconfigured: new=0 old=2 dropped=0/);

  // KillSignal (with KillMode=process): the daemon ends, a running server is left alone.
  assert.equal(s.get('KillMode'), 'process');
  const session = await hold(cat);
  t.after(() => session.end());
  session.socket.write('still here\n');
  await session.expect(/^still here\n$/);
  const server = pidOf(await waitForLine(log, /START: cat /));
  assert.equal(s.get('KillSignal'), 'SIGQUIT');
  process.kill(pid, 'SIGQUIT');
  await waitForGone(pid);
  assert.equal(existsSync(pidfile), false, 'the pid file is gone with the daemon');
  assert.equal(alive(server), true, 'the server outlives the daemon');
  session.socket.write('and after\n');
  await session.expect(/^still here\nand after\n$/);
  session.end();
  await waitForGone(server);
});

test('the SysV init script starts, reports status with the state dump, reloads, restarts and stops the daemon; a failed start fails', async (t) => {
  const { dir, greet, cat, conf, messages, pidfile, defaults } = await setUp(t);
  const dump = join(dir, 'xinetd.dump');
  writeFileSync(defaults, `XINETD_TS_OPTS="-f ${conf} -filelog ${messages} -dumpfile ${dump}"\n`);
  // The script's four paths, pointed into the test's directory.
  const script = join(dir, 'xinetd-ts.init');
  const original = readFileSync(join(SYSTEM, 'xinetd-ts.init'), 'utf8');
  const edited = original
    .replace(/^DAEMON=.*$/m, `DAEMON=${CLI}`)
    .replace(/^PIDFILE=.*$/m, `PIDFILE=${pidfile}`)
    .replace(/^DEFAULTS=.*$/m, `DEFAULTS=${defaults}`)
    .replace(/^DUMPFILE=.*$/m, `DUMPFILE=${dump}`);
  assert.equal(edited.split('\n').filter((l, i) => l !== original.split('\n')[i]).length, 4, 'the four paths are set at the top');
  writeFileSync(script, edited);
  const initd = (action: string) => run('sh', [script, action], { ms: 45_000 });
  let pid = 0;
  t.after(() => {
    if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
  });

  const started = await initd('start');
  assert.equal(started.code, 0, started.stdout + started.stderr);
  pid = Number(readFileSync(pidfile, 'utf8'));
  assert.equal((await exchange(greet)).toString(), 'hello\n');
  // Already running: success, and still the same daemon.
  assert.equal((await initd('start')).code, 0);
  assert.equal(Number(readFileSync(pidfile, 'utf8')), pid);

  const status = await initd('status');
  assert.equal(status.code, 0, status.stdout + status.stderr);
  assert.match(status.stdout, /is running/);
  assert.match(status.stdout, /Service = hello\n/);

  assert.equal((await initd('reload')).code, 0);
  await waitForLine(messages, new RegExp(`xinetd\\[${pid}\\]: NOTICE: Reconfigured: new=0 old=2 dropped=0`));

  // Restart: the old daemon has ended (SIGQUIT) before the new one binds the same ports.
  const session = await hold(cat);
  t.after(() => session.end());
  session.socket.write('kept\n');
  await session.expect(/^kept\n$/);
  const restarted = await initd('restart');
  assert.equal(restarted.code, 0, restarted.stdout + restarted.stderr);
  const oldPid = pid;
  pid = Number(readFileSync(pidfile, 'utf8'));
  assert.notEqual(pid, oldPid);
  assert.equal(alive(oldPid), false);
  assert.equal((await exchange(greet)).toString(), 'hello\n');
  session.socket.write('across the restart\n');
  await session.expect(/^kept\nacross the restart\n$/);
  session.end();

  const stopped = await initd('stop');
  assert.equal(stopped.code, 0);
  await waitForGone(pid);
  assert.equal(existsSync(pidfile), false);
  assert.equal((await initd('status')).code, 3, 'LSB: not running');

  // A stale pid file naming another live process: not taken for the daemon (its name differs).
  const stranger = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.after(() => stranger.kill());
  writeFileSync(pidfile, `${stranger.pid}\n`);
  assert.equal((await initd('start')).code, 0);
  pid = Number(readFileSync(pidfile, 'utf8'));
  assert.notEqual(pid, stranger.pid);
  assert.equal((await exchange(greet)).toString(), 'hello\n');
  assert.equal((await initd('stop')).code, 0);
  await waitForGone(pid);
  assert.equal(stranger.exitCode, null, 'the other process was not signalled');

  // A configuration the daemon cannot start with: start fails, with the reason on stderr.
  writeFileSync(defaults, `XINETD_TS_OPTS="-f ${join(dir, 'missing.conf')} -filelog ${messages}"\n`);
  const failed = await initd('start');
  assert.notEqual(failed.code, 0);
  assert.match(failed.stderr, /Cannot read configuration file .*missing\.conf/);
  assert.match(failed.stdout, /failed/);
  assert.equal(existsSync(pidfile), false);
});

test('the logrotate example rotates the -filelog and a FILE log: after its SIGHUP the daemon writes to new files', async (t) => {
  const { dir, greet, log, conf, messages, pidfile } = await setUp(t);
  const started = await run(CLI, ['-f', conf, '-filelog', messages, '-pidfile', pidfile]);
  assert.equal(started.code, 0, started.stderr);
  const pid = Number(readFileSync(pidfile, 'utf8'));
  t.after(() => {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
  assert.equal((await exchange(greet)).toString(), 'hello\n');
  await waitForLine(log, /START: hello /);

  const rotation = readFileSync(join(SYSTEM, 'xinetd-ts.logrotate'), 'utf8')
    .replace('/var/log/xinetd-ts.log /var/log/xinetd-services.log', `${messages} ${log}`)
    .replaceAll('/run/xinetd-ts.pid', pidfile);
  const rotateConf = join(dir, 'logrotate.conf');
  writeFileSync(rotateConf, rotation);
  const rotated = await run('logrotate', ['-f', '-s', join(dir, 'logrotate.state'), rotateConf], { ms: 20_000 });
  assert.equal(rotated.code, 0, rotated.stdout + rotated.stderr);
  // delaycompress: the first generation stays plain.
  assert.match(readFileSync(`${messages}.1`, 'utf8'), /Started working: 2 available services/);
  assert.match(readFileSync(`${log}.1`, 'utf8'), /START: hello /);
  // The reload's own messages already go to the new file, and so do the next records.
  await waitForLine(messages, /Reconfigured: new=0 old=2 dropped=0/);
  assert.equal((await exchange(greet)).toString(), 'hello\n');
  await waitForLine(log, /START: hello /);
  assert.doesNotMatch(readFileSync(`${messages}.1`, 'utf8'), /Reconfigured/);
  assert.equal(readFileSync(`${log}.1`, 'utf8').match(/START: hello /g)?.length, 1);
  process.kill(pid, 'SIGTERM');
  await waitForGone(pid);
});
