/**
 * A launcher process that stops answering for a while (SIGSTOP): connections keep being
 * accepted, their descriptors queue in the descriptor channel until it is full, then go over the
 * IPC channel; none is lost, and all are served once the launcher runs again. And a count at
 * its limit, which asks the launcher before refusing, does not wait for it longer than 50 ms.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';
import { echoingSession, hold, loggingDefaults, service, streamService } from '../helpers/e2e.js';
import { exchange, freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

// Past what the SOCK_SEQPACKET channel holds (about 90 starts), and well inside a 1,024
// descriptor limit for both the test and the daemon.
const CLIENTS = 300;

/** A client that connects, then collects everything until the server closes (bounded by `ms`). */
function client(port: number, ms: number): { connected: Promise<void>; text: Promise<string> } {
  const socket = net.connect(port, '127.0.0.1');
  let text = '';
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const done = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${ms} ms (got ${JSON.stringify(text)})`));
    }, ms);
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('end', () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  return { connected, text: done };
}

/** The pid of the daemon's (only) launcher process. */
function launcherOf(daemon: number): string {
  const launcher = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(daemon)], { encoding: 'latin1' })
    .split('\n').map((l) => l.trim().split(/\s+/)).find(([, comm]) => comm?.startsWith('xinetd-ts-launc'))?.[0];
  assert.ok(launcher, 'the launcher process of the daemon');
  return launcher;
}

/** Connections completed by the kernel and not yet accepted on a listening port (ss Recv-Q). */
function acceptQueue(port: number): number {
  const line = execFileSync('ss', ['-Hltn', `( sport = :${port} )`], { encoding: 'latin1' }).trim();
  return Number(line.split(/\s+/)[1] ?? NaN);
}

test('a stopped launcher: every connection accepted meanwhile is served once it runs again', { timeout: 120_000 }, async (t) => {
  const port = await freePort();
  const d = await startDaemon(({ log }) => [
    loggingDefaults(log, ['instances = UNLIMITED', 'per_source = UNLIMITED', 'cps = 0']),
    streamService('hi', port, '/bin/echo', ['server_args = hi', 'bind = 127.0.0.1']),
  ].join('\n'), { env: { ...process.env, XINETD_TS_LAUNCHERS: '1' } });
  t.after(() => d.stop());
  assert.equal((await exchange(port)).toString(), 'hi\n');

  const launcher = launcherOf(d.child.pid!);
  process.kill(Number(launcher), 'SIGSTOP');
  let stopped = true;
  t.after(() => {
    if (stopped) process.kill(Number(launcher), 'SIGCONT');
  });

  const clients = Array.from({ length: CLIENTS }, () => client(port, 90_000));
  await Promise.all(clients.map((c) => c.connected));
  // Every connection is now the daemon's: none left in the kernel's accept queue.
  await waitFor('the daemon to accept every connection', () => (acceptQueue(port) === 0 ? true : undefined), { ms: 30_000 });
  process.kill(Number(launcher), 'SIGCONT');
  stopped = false;

  const texts = await Promise.all(clients.map((c) => c.text));
  assert.equal(texts.filter((x) => x === 'hi\n').length, CLIENTS);
  await waitFor(`${CLIENTS + 1} START records`, async () => {
    const starts = (await d.logLines()).filter((l) => / START: hi pid=\d+ from=127\.0\.0\.1$/.test(l)).length;
    return starts === CLIENTS + 1 ? true : undefined;
  }, { ms: 30_000, file: d.serviceLog });
  assert.doesNotMatch(readFileSync(d.messages, 'latin1'), /launch failed|ERROR/);
});

test('a stopped launcher while a service is at its instances limit: the client over the limit is refused, other services keep answering', { timeout: 60_000 }, async (t) => {
  const [catPort, daytimePort] = [await freePort(), await freePort()];
  const d = await startDaemon(({ log }) => [
    loggingDefaults(log, ['cps = 0']),
    streamService('cat', catPort, '/bin/cat', ['instances = 1', 'bind = 127.0.0.1']),
    service('daytime', ['type = INTERNAL UNLISTED', 'socket_type = stream', 'wait = no', `port = ${daytimePort}`, 'bind = 127.0.0.1']),
  ].join('\n'), { env: { ...process.env, XINETD_TS_LAUNCHERS: '1' } });
  t.after(() => d.stop());
  const held = await echoingSession(t, catPort, 'x\n');

  // The count would refuse the next client; the daemon asks the launcher, which does not answer.
  const launcher = launcherOf(d.child.pid!);
  process.kill(Number(launcher), 'SIGSTOP');
  let stopped = true;
  t.after(() => {
    if (stopped) process.kill(Number(launcher), 'SIGCONT');
  });
  for (let i = 0; i < 3; i++) {
    const over = await hold(catPort);
    await over.closed(10_000);
    assert.equal(over.received(), '');
    assert.match((await exchange(daytimePort)).toString(), /\d{4}/);
  }
  await waitFor('three service_limit refusals', async () =>
    (await d.logLines()).filter((l) => /FAIL: cat service_limit from=127\.0\.0\.1$/.test(l)).length === 3 ? true : undefined, { ms: 10_000, file: d.serviceLog });
  process.kill(Number(launcher), 'SIGCONT');
  stopped = false;
  held.socket.write('y\n');
  await held.expect(/x\ny\n/);
});
