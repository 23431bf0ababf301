/**
 * Counters never leak: thousands of sessions of every kind of ending (normal exits, crashed
 * servers, servers killed by the test, clients that reset, in-process sessions, refusals,
 * cps switch-offs, reloads keeping and changing services), then every count in the SIGUSR1
 * dump must be zero and the consistency check must pass.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startDaemon } from '../helpers/daemon.js';
import { allZero, connectHeld, waitForDump } from '../helpers/limits-daemon.js';
import { pool } from '../helpers/hostile.js';
import { freePort } from '../helpers/net.js';
import { defaults, hold, spawned } from './conf.js';

const FIXTURES = join(ROOT, 'test/limits/fixtures');

/** Connect and wait for the server's close; a refusal (close without data) is fine too. */
async function untilClosed(port: number): Promise<string> {
  const c = await connectHeld(port);
  const timer = setTimeout(() => c.socket.destroy(), 10_000);
  await c.closed;
  clearTimeout(timer);
  return c.text();
}

/** Echo one byte through the session (proving it runs), then end it by a reset or a normal close. */
async function echoThen(port: number, end: 'reset' | 'close'): Promise<void> {
  const c = await connectHeld(port);
  c.socket.write('x');
  await Promise.race([c.expect(/x/, 10_000), c.closed]).catch(() => undefined);
  if (end === 'reset') c.socket.resetAndDestroy();
  else c.socket.end();
  const timer = setTimeout(() => c.socket.destroy(), 10_000);
  await c.closed;
  clearTimeout(timer);
}

/** The server tells its pid; the test kills it. */
async function killServer(port: number): Promise<void> {
  const c = await connectHeld(port);
  await Promise.race([c.expect(/^\d+\n/, 10_000), c.closed]).catch(() => undefined);
  const pid = Number(c.text().trim());
  if (pid > 0) process.kill(pid, 'SIGKILL');
  const timer = setTimeout(() => c.socket.destroy(), 10_000);
  await c.closed;
  clearTimeout(timer);
}

/** 5 clients from 127.0.0.1 and 3 from 127.0.0.2 at once on `instances = 6, per_source = 4`: some are refused. */
async function limitBurst(port: number, end: 'reset' | 'close'): Promise<void> {
  const from = [...Array<string>(5).fill('127.0.0.1'), ...Array<string>(3).fill('127.0.0.2')];
  const clients = await Promise.all(from.map((localAddress) => connectHeld(port, { localAddress })));
  clients.forEach((c) => c.socket.write('z'));
  await Promise.all(clients.map((c) => Promise.race([c.expect(/z/, 10_000), c.closed]).catch(() => undefined)));
  for (const c of clients) {
    if (end === 'reset') c.socket.resetAndDestroy();
    else c.socket.end();
  }
  await Promise.all(clients.map((c) => c.closed));
}

test('every count returns to zero after thousands of mixed sessions, refusals and reloads', { timeout: 90_000 }, async (t) => {
  const ports = { t: await freePort(), crash: await freePort(), kill: await freePort(), cat: await freePort(), cat2: await freePort(), hold: await freePort(), lim: await freePort(), cps: await freePort() };
  const config = (log: string, generation: 1 | 2) => defaults(log, '\tcps = 0')
    + spawned('truesvc', ports.t, '/bin/true', generation === 1 ? [] : ['server_args = changed-args'])
    + spawned('crashsvc', ports.crash, join(FIXTURES, 'crash.sh'))
    + spawned('killsvc', ports.kill, join(FIXTURES, 'pid-then-sleep.sh'))
    // The second generation moves catsvc: a new identity, so the old one and its servers go.
    + spawned('catsvc', generation === 1 ? ports.cat : ports.cat2, '/bin/cat')
    + hold('holdleak', ports.hold)
    + hold('holdlim', ports.lim, ['instances = 6', 'per_source = 4'])
    // A low rate and bursts below, so the switch-off happens however loaded the machine is.
    + hold('holdcpsleak', ports.cps, ['cps = 5 30']);
  const d = await startDaemon(({ log }) => config(log, 1));
  t.after(() => d.stop());

  const round = (catPort: number, n: number): (() => Promise<void>)[] => {
    const jobs: (() => Promise<void>)[] = [];
    for (let i = 0; i < n; i++) {
      jobs.push(() => untilClosed(ports.t).then(() => undefined));
      if (i % 3 === 0) jobs.push(() => untilClosed(ports.crash).then(() => undefined));
      if (i % 6 === 0) jobs.push(() => killServer(ports.kill));
      if (i % 3 === 1) jobs.push(() => echoThen(catPort, i % 2 ? 'reset' : 'close'));
      jobs.push(() => echoThen(ports.hold, i % 2 ? 'reset' : 'close'));
      if (i % 2 === 0) jobs.push(() => echoThen(ports.lim, i % 4 ? 'reset' : 'close'));
      if (i % 10 === 0) jobs.push(() => limitBurst(ports.lim, i % 20 ? 'reset' : 'close'));
      if (i % 5 === 0) jobs.push(() => untilClosed(ports.cps).then(() => undefined, () => undefined));
      if (i % 50 === 0) jobs.push(() => Promise.all(Array.from({ length: 15 }, () => untilClosed(ports.cps).then(() => undefined, () => undefined))).then(() => undefined));
    }
    return jobs;
  };

  const first = round(ports.cat, 300);
  // Some cat sessions stay open across the reload that removes their service (SIGKILLed there).
  const lingering = await Promise.all(Array.from({ length: 5 }, () => connectHeld(ports.cat)));
  lingering.forEach((c) => c.socket.write('y'));
  await Promise.all(lingering.map((c) => c.expect(/y/)));
  await pool(24, first);

  writeFileSync(join(d.dir, 'xinetd.conf'), config(d.serviceLog, 2));
  d.signal('SIGHUP');
  await d.waitForMessage(/Reconfigured: new=1 old=6 dropped=1/);
  await Promise.all(lingering.map((c) => c.closed));
  const second = round(ports.cat2, 300);
  await pool(24, second);

  const total = first.length + second.length + lingering.length;
  assert.ok(total >= 2000, `${total} sessions driven`);
  const lines = readFileSync(d.serviceLog, 'utf8').split('\n');
  const count = (re: RegExp) => lines.filter((l) => re.test(l)).length;
  assert.ok(count(/FAIL: holdlim (service_limit|per_source_limit)/) > 0, 'instances / per_source refusals happened');
  assert.ok(count(/FAIL: holdcpsleak connections per second/) > 0, 'cps refusals happened');
  assert.ok(count(/EXIT: crashsvc signal=11/) > 0, 'crashed servers');
  assert.ok(count(/EXIT: killsvc signal=9/) > 0, 'killed servers');

  const final = await waitForDump(d, 'every count back to zero', allZero, 20_000);
  assert.equal(final.services.length, 7);
  d.signal('SIGABRT');
  await d.waitForMessage(/Consistency check passed/);
  const messages = readFileSync(d.messages, 'utf8');
  assert.doesNotMatch(messages, /session failed|launch failed|Consistency check detected/);
});
