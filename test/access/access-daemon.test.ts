import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loggingDefaults, helloService } from '../helpers/access-conf.js';
import { runCli } from '../helpers/cli.js';
import { startDaemon, tempDir, type RunningDaemon } from '../helpers/daemon.js';
import { startWithHosts, type NamespacedDaemon } from '../helpers/namespace-daemon.js';
import { exchange, freePort } from '../helpers/net.js';
import { waitForLine } from '../helpers/wait.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const from = (port: number, localAddress: string) =>
  exchange(port, undefined, { host: localAddress.includes(':') ? '::1' : '127.0.0.1', localAddress }).then((b) => b.toString());

describe('only_from / no_access on a running daemon', () => {
  let d: RunningDaemon;
  let port: number;
  let tiePort: number;
  before(async () => {
    port = await freePort();
    tiePort = await freePort();
    d = await startDaemon(({ log }) => loggingDefaults(log) +
      helloService('guarded', port, '\tonly_from = 127.0.0.2 ::1\n\tno_access = 127.0.0.0/8\n') +
      helloService('tied', tiePort, '\tonly_from = 127.0.0.0/8\n\tno_access = 127.0.0.0\n'));
  });
  after(() => d.stop());

  it('admits the more specific only_from entry, refuses the rest of the no_access network', async () => {
    assert.equal(await from(port, '127.0.0.2'), 'hello ::ffff:127.0.0.2\n');
    assert.equal(await from(port, '::1'), 'hello ::1\n');
    assert.equal(await from(port, '127.0.0.3'), '');
    await d.waitForLog(/FAIL: guarded address from=::ffff:127\.0\.0\.3/);
    const lines = await d.logLines();
    assert.equal(lines.filter((l) => /START: guarded .*127\.0\.0\.3/.test(l)).length, 0, 'a refused client gets no START record');
  });

  it('refuses a tie with xinetd\'s match-equally message', async () => {
    assert.equal(await from(tiePort, '127.0.0.4'), '');
    await d.waitForMessage(/ERROR: Service=tied: only_from list and no_access list match equally the address ::ffff:127\.0\.0\.4/);
    await d.waitForLog(/FAIL: tied address from=::ffff:127\.0\.0\.4/);
  });
});

describe('only_from with names, in a private /etc/hosts', () => {
  let d: NamespacedDaemon;
  let port: number;
  before(async () => {
    port = await freePort();
    const hosts = '127.0.0.1 localhost\n127.0.0.6 gw.lan.example gw\n127.0.0.7 pc.lan.example\n127.0.0.8 other.example\n';
    d = await startWithHosts(hosts, ({ log }) => loggingDefaults(log) +
      helloService('named', port, '\tonly_from = .lan.example other.example\n\tno_access = gw.lan.example\n'), { ...process.env, XINETD_TS_DNS_TIMEOUT_MS: '3000' });
  });
  after(() => d.stop());

  it('matches .domain and host names by reverse look-up; a name beats a domain', async () => {
    assert.equal(await from(port, '127.0.0.7'), 'hello ::ffff:127.0.0.7\n');
    assert.equal(await from(port, '127.0.0.8'), 'hello ::ffff:127.0.0.8\n');
    assert.equal(await from(port, '127.0.0.6'), '');
    assert.equal(await from(port, '127.0.0.9'), '');
    await waitForLine(d.log, /FAIL: named address from=::ffff:127\.0\.0\.6/);
    await waitForLine(d.log, /FAIL: named address from=::ffff:127\.0\.0\.9/);
  });
});

describe('access_times on a running daemon', () => {
  it('admits inside 00:00-24:00 and refuses outside an interval with reason time', async () => {
    const open = await freePort();
    const closed = await freePort();
    const h = (new Date().getHours() + 2) % 24;
    const d = await startDaemon(({ log }) => loggingDefaults(log) +
      helloService('allday', open, '\taccess_times = 00:00-24:00\n') +
      helloService('later', closed, `\taccess_times = ${h}:00-${h}:30\n`));
    try {
      assert.equal(await from(open, '127.0.0.1'), 'hello ::ffff:127.0.0.1\n');
      assert.equal(await from(closed, '127.0.0.1'), '');
      await d.waitForLog(/FAIL: later time from=::ffff:127\.0\.0\.1/);
    } finally {
      await d.stop();
    }
  });
});

describe('check', () => {
  it('warns where xinetd 2.3.15 would refuse a client xinetd-ts admits', async () => {
    const dir = tempDir();
    const conf = join(dir, 'xinetd.conf');
    writeFileSync(conf, helloService('both', 5999, '\tonly_from = 127.0.0.1\n\tno_access = 127.0.0.0/8\n'));
    const r = await runCli(['check', '-f', conf]);
    assert.match(r.stdout, new RegExp(`warning: Service both: only_from 127\\.0\\.0\\.1 \\(${conf.replace(/[.]/g, '\\.')}:11\\) is more specific than no_access 127\\.0\\.0\\.0/8 \\(.*:12\\): xinetd-ts admits clients matching both, xinetd 2\\.3\\.15 refuses them`));
  });
});
