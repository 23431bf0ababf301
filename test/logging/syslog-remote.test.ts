import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDaemon, tempDir } from '../helpers/daemon.js';
import { tcpService } from '../helpers/logging-conf.js';
import { startRsyslog } from '../helpers/logging-rsyslog.js';
import { exchange, freePort } from '../helpers/net.js';
import { readLines, waitFor } from '../helpers/wait.js';

test('syslog_server sends SYSLOG records to a remote rsyslog over UDP (RFC 3164) and TCP (RFC 5424)', async (t) => {
  const rs = await startRsyslog(tempDir('xinetd-ts-rsyslog-'));
  t.after(() => rs.stop());
  const [udpSvc, tcpSvc] = [await freePort(), await freePort()];
  const d = await startDaemon([
    'defaults',
    '{',
    '\tlog_on_success = PID HOST',
    '\tsyslog_tag = xinetd-test',
    '}',
    tcpService('over-udp', udpSvc, ['log_type = SYSLOG local3 info', `syslog_server = udp://127.0.0.1:${rs.udpPort}`]),
    tcpService('over-tcp', tcpSvc, ['log_type = SYSLOG auth notice', `syslog_server = tcp://127.0.0.1:${rs.tcpPort} rfc5424`]),
  ].join('\n'));
  t.after(() => d.stop());
  const pid = d.child.pid!;
  await exchange(udpSvc);
  await exchange(tcpSvc);
  // local3.info = 19 * 8 + 6; auth.notice = 4 * 8 + 5
  assert.match(await rs.waitForRaw(/START: over-udp/), new RegExp(`^<158> xinetd-test\\[${pid}\\]: START: over-udp pid=\\d+ from=::ffff:127\\.0\\.0\\.1$`));
  assert.match(await rs.waitForRaw(/START: over-tcp/), new RegExp(`^<37> xinetd-test\\[${pid}\\]:? ?START: over-tcp pid=\\d+ from=::ffff:127\\.0\\.0\\.1$`));
});

test('a remote TCP syslog server that dies is reported once and used again when it is back', async (t) => {
  const rs = await startRsyslog(tempDir('xinetd-ts-rsyslog-'));
  t.after(() => rs.stop());
  const port = await freePort();
  const d = await startDaemon((p) => [
    tcpService('remote', port, ['log_type = SYSLOG daemon', 'log_on_success = PID', `syslog_server = tcp://127.0.0.1:${rs.tcpPort}`]),
  ].join('\n').replace('{', `{\n\tlog_json = ${p.dir}/records.json`));
  t.after(() => d.stop());
  await exchange(port);
  await rs.waitForRaw(/START: remote/);
  await rs.kill();
  // Every connection logs a record; the first ones after the kill hit the dead server.
  await waitFor('the failure report', async () => {
    await exchange(port);
    return (await readLines(d.messages)).find((l) => /syslog server tcp:\/\/127\.0\.0\.1:\d+: .*records are dropped until it recovers/.test(l));
  }, { ms: 15_000, everyMs: 200 });
  await rs.restart();
  const before = (await rs.rawLines()).filter((l) => /START: remote/.test(l)).length;
  await waitFor('records flowing again', async () => {
    await exchange(port);
    return (await rs.rawLines()).filter((l) => /START: remote/.test(l)).length > before ? true : undefined;
  }, { ms: 15_000, everyMs: 200 });
  await d.waitForMessage(/syslog server tcp:\/\/127\.0\.0\.1:\d+: recovered \(\d+ records? lost\)/);
  const reports = (await readLines(d.messages)).filter((l) => /records are dropped until it recovers/.test(l));
  assert.equal(reports.length, 1, reports.join('\n'));
  // The other sink never stopped: every connection has its JSON START record.
  const json = (await readLines(`${d.dir}/records.json`)).map((l) => JSON.parse(l) as { type: string });
  assert.ok(json.filter((r) => r.type === 'START').length >= 3);
});
