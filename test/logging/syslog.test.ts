import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI, startDaemon, tempDir } from '../helpers/daemon.js';
import { REFUSE_PLUGIN, tcpService } from '../helpers/logging-conf.js';
import { startRsyslog } from '../helpers/logging-rsyslog.js';
import { exchange, freePort } from '../helpers/net.js';
import { readLines, waitFor } from '../helpers/wait.js';

test('SYSLOG records reach a private rsyslog through its unix socket, tagged xinetd[PID]; fail2ban finds the refused host', async (t) => {
  const rs = await startRsyslog(tempDir('xinetd-ts-rsyslog-'));
  t.after(() => rs.stop());
  const [okPort, denyPort] = [await freePort(), await freePort()];
  const d = await startDaemon(() => [
    'defaults',
    '{',
    '\tlog_type = SYSLOG local3 warning',
    '\tlog_on_success = PID HOST EXIT',
    '\tlog_on_failure = HOST',
    '\tplugins = ./refuse.mjs',
    '}',
    tcpService('ok', okPort),
    tcpService('deny-me', denyPort, ['bind = 127.0.0.1']),
  ].join('\n'), { files: { 'refuse.mjs': REFUSE_PLUGIN }, env: { ...process.env, XINETD_TS_SYSLOG_SOCKET: rs.socket } });
  t.after(() => d.stop());
  const pid = d.child.pid!;

  await exchange(okPort);
  // local3.warning = 19 * 8 + 4
  const start = await rs.waitForRaw(/START: ok /);
  assert.match(start, new RegExp(`^<156> xinetd\\[${pid}\\]: START: ok pid=\\d+ from=::ffff:127\\.0\\.0\\.1$`));
  assert.match(await rs.waitForRaw(/EXIT: ok /), new RegExp(`^<156> xinetd\\[${pid}\\]: EXIT: ok status=0 pid=\\d+$`));

  for (let i = 0; i < 3; i++) await exchange(denyPort);
  await waitFor('three FAIL records', async () => ((await rs.rawLines()).filter((l) => l.includes('FAIL: deny-me address from=127.0.0.1')).length === 3 ? true : undefined));
  assert.ok((await rs.rawLines()).some((l) => l === `<156> xinetd[${pid}]: FAIL: deny-me address from=127.0.0.1`));

  // Done means: fail2ban's own xinetd-fail filter finds the refused host in our syslog output.
  const f2b = spawnSync('fail2ban-regex', [rs.traditional, '/etc/fail2ban/filter.d/xinetd-fail.conf'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(f2b.status, 0, f2b.stderr);
  assert.match(f2b.stdout, /Failregex: 3 total/);
  assert.match(f2b.stdout, /127\.0\.0\.1/);
});

test('the daemon\'s own messages go to syslog with -syslog FACILITY, xinetd\'s levels and [file=] [line=]', async (t) => {
  const rs = await startRsyslog(tempDir('xinetd-ts-rsyslog-'));
  t.after(() => rs.stop());
  const dir = tempDir();
  const conf = join(dir, 'xinetd.conf');
  writeFileSync(conf, `${tcpService('svc', await freePort(), ['no_such_attribute = 1'])}`);
  const child = spawn(process.execPath, [CLI, '-dontfork', '-syslog', 'local5', '-f', conf], {
    stdio: ['ignore', 'ignore', 'ignore'],
    env: { ...process.env, XINETD_TS_SYSLOG_SOCKET: rs.socket },
  });
  const exited = once(child, 'exit');
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  // local5.notice = 21 * 8 + 5; local5.warning = 21 * 8 + 4
  assert.match(await rs.waitForRaw(/Started working/), new RegExp(`^<173> xinetd\\[${child.pid}\\]: Started working: 1 available service$`));
  const warning = await rs.waitForRaw(/no_such_attribute/);
  assert.match(warning, new RegExp(`^<172> xinetd\\[${child.pid}\\]: .*no_such_attribute \\[file=${conf.replace(/[.]/g, '\\.')}\\] \\[line=\\d+\\]$`));
  child.kill('SIGTERM');
  await exited;
  // Messages written while stopping are still delivered (the relay flushes before it exits).
  assert.match(await rs.waitForRaw(/Exiting\.\.\./), /^<172> xinetd\[\d+\]: Exiting\.\.\.$/);
});

test('a dead syslog socket is reported once, the FILE log goes on, and syslog recovers when rsyslog is back', async (t) => {
  const rs = await startRsyslog(tempDir('xinetd-ts-rsyslog-'));
  t.after(() => rs.stop());
  const [sysPort, filePort] = [await freePort(), await freePort()];
  const d = await startDaemon((p) => [
    tcpService('to-syslog', sysPort, ['log_type = SYSLOG daemon', 'log_on_success = PID']),
    tcpService('to-file', filePort, [`log_type = FILE ${p.log}`, 'log_on_success = PID']),
  ].join('\n'), { env: { ...process.env, XINETD_TS_SYSLOG_SOCKET: rs.socket } });
  t.after(() => d.stop());

  await exchange(sysPort);
  await rs.waitForRaw(/START: to-syslog/);
  await rs.kill();
  await exchange(sysPort);
  await d.waitForMessage(/syslog socket .*log\.sock: Connection refused; the newest messages are held until it recovers/);
  await exchange(sysPort);
  await exchange(filePort);
  await d.waitForLog(/START: to-file pid=\d+/);
  await rs.restart();
  await exchange(sysPort);
  await d.waitForMessage(/syslog socket .*log\.sock: recovered \(0 records lost\)/);
  // The held messages and the new one all arrive.
  await waitFor('four START records', async () => ((await rs.rawLines()).filter((l) => /START: to-syslog/.test(l)).length >= 4 ? true : undefined));
  const reports = (await readLines(d.messages)).filter((l) => /Connection refused/.test(l));
  assert.equal(reports.length, 1, reports.join('\n'));
});
