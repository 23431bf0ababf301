/** cps through the real CLI: switch-off, xinetd's messages, coming back, disabling, the default, address refusals. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { ROOT, startDaemon } from '../helpers/daemon.js';
import { allZero, connectHeld, waitForDump } from '../helpers/limits-daemon.js';
import { freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';
import { defaults, hold, holdDgram } from './conf.js';
import { udpClient } from './udp-client.js';

/** 'served' (the hold service echoed), 'closed' (refused: closed with nothing), or the connect error code. */
async function visit(port: number, options: { localAddress?: string } = {}): Promise<string> {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress: options.localAddress });
  socket.on('error', () => undefined);
  let text = '';
  socket.on('data', (c: Buffer) => {
    text += c.toString();
    if (text === 'ping') socket.end();
  });
  const timer = setTimeout(() => socket.destroy(), 5000);
  try {
    const [error] = await Promise.race([once(socket, 'connect').then(() => [undefined]), once(socket, 'error')]) as [NodeJS.ErrnoException | undefined];
    if (error) return error.code ?? 'error';
    socket.write('ping');
    await new Promise((resolve) => socket.once('close', resolve));
    return text === 'ping' ? 'served' : text === '' ? 'closed' : `got ${text}`;
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

// WAIT >= RATE here: the window is not reset by a trip (xinetd), so only a window older than
// RATE seconds is certain to be fresh when the service comes back.
test('cps = 2 2: the third connection within two seconds is refused, the service is off for 2 s with xinetd\'s messages, then back', async (t) => {
  const port = await freePort();
  const d = await startDaemon(({ log }) => defaults(log) + hold('holdcps', port, ['id = holdcps-id', 'cps = 2 2']));
  t.after(() => d.stop());
  assert.equal(await visit(port), 'served');
  assert.equal(await visit(port), 'served');
  assert.equal(await visit(port), 'closed');
  await d.waitForLog(/FAIL: holdcps-id connections per second from=::ffff:127\.0\.0\.1$/);
  // xinetd names the service (not its id) and puts two spaces before "Restarting".
  await d.waitForMessage(/ERROR: Deactivating service holdcps due to excessive incoming connections\. {2}Restarting in 2 seconds\.$/);
  assert.equal(await visit(port), 'ECONNREFUSED', 'the listening socket is closed while the service is off');
  await d.waitForMessage(/ERROR: Activating service holdcps$/, 5000);
  assert.equal(await visit(port), 'served');
  await waitForDump(d, 'zero', allZero);
});

test('cps = 0 and cps = 0 N disable the check; without cps the default 50 10 applies', async (t) => {
  const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
  const d = await startDaemon(({ log }) => defaults(log) + hold('holdoff', p1, ['cps = 0']) + hold('holdoff2', p2, ['cps = 0 5']) + hold('holddefault', p3));
  t.after(() => d.stop());
  const burst = async (port: number, n: number) => Promise.all(Array.from({ length: n }, () => visit(port)));
  assert.deepEqual(new Set(await burst(p1, 80)), new Set(['served']));
  assert.deepEqual(new Set(await burst(p2, 80)), new Set(['served']));
  const results = await burst(p3, 120);
  assert.ok(results.includes('closed') || results.includes('ECONNREFUSED'), 'more than 50 in a second trip the default');
  await d.waitForMessage(/Deactivating service holddefault due to excessive incoming connections\. {2}Restarting in 10 seconds\./);
  const lines = await d.logLines();
  assert.equal(lines.filter((l) => /FAIL: holdoff2? /.test(l)).length, 0);
});

test('clients refused by address do not consume the cps budget (authorize runs before limit)', async (t) => {
  const port = await freePort();
  const d = await startDaemon(({ log }) => defaults(log) + hold('holdacl', port, ['cps = 2 10', 'only_from = 127.0.0.2']));
  t.after(() => d.stop());
  for (let i = 0; i < 10; i++) assert.equal(await visit(port), 'closed');
  await waitFor('ten address refusals', async () => ((await d.logLines()).filter((l) => /FAIL: holdacl address/.test(l)).length === 10 ? true : undefined));
  assert.equal(await visit(port, { localAddress: '127.0.0.2' }), 'served');
  assert.equal(await visit(port, { localAddress: '127.0.0.2' }), 'served');
  const lines = await d.logLines();
  assert.equal(lines.filter((l) => /connections per second/.test(l)).length, 0);
});

test('cps applies to datagrams too', async (t) => {
  const port = await freePort();
  const d = await startDaemon(({ log }) => defaults(log) + holdDgram('holddgram', port, ['cps = 1 2']));
  t.after(() => d.stop());
  const replies = await udpClient(t);
  replies.send('one', port);
  await replies.next('one');
  // A burst: however late it comes after the first datagram (a loaded machine), two datagrams
  // within the same second exceed a rate of 1.
  for (let i = 0; i < 3; i++) replies.send('two', port);
  await d.waitForLog(/FAIL: holddgram connections per second from=127\.0\.0\.1$/);
  await d.waitForMessage(/Deactivating service holddgram due to excessive incoming connections\. {2}Restarting in 2 seconds\./);
  await d.waitForMessage(/Activating service holddgram$/, 5000);
  replies.send('three', port);
  await replies.next('three');
});

test('cps switches off a wait = yes service watched by the launcher, and brings it back', async (t) => {
  const port = await freePort();
  const d = await startDaemon(({ log }) => defaults(log)
    + holdDgram('udponce', port, ['user = nobody', `server = ${join(ROOT, 'test/limits/fixtures/udp-once.sh')}`, 'cps = 1 2']));
  t.after(() => d.stop());
  const replies = await udpClient(t);
  replies.send('one', port);
  await replies.next('got one');
  await d.waitForLog(/EXIT: udponce status=0/);
  // One datagram at a time: a burst would not do, since datagrams queued while a wait = yes
  // server runs are dropped when it ends (as xinetd drains them). Under load a start can take
  // longer than a second, so keep starting until two fall within one second.
  const tripped = /FAIL: udponce connections per second from=/;
  let outcome: 'reply' | 'fail' = 'reply';
  for (let i = 0; i < 10 && outcome === 'reply'; i++) {
    replies.send(`two${i}`, port);
    outcome = await waitFor(`a reply to two${i} or the cps FAIL`, async () => {
      if (tripped.test(await readFile(d.serviceLog, 'utf8').catch(() => ''))) return 'fail' as const;
      return replies.received.some((r) => r.text === `got two${i}`) ? ('reply' as const) : undefined;
    }, { ms: 10_000, file: d.serviceLog });
  }
  assert.equal(outcome, 'fail', 'cps = 1 2 tripped within ten starts');
  await d.waitForMessage(/Deactivating service udponce due to excessive incoming connections\. {2}Restarting in 2 seconds\./);
  await d.waitForMessage(/Activating service udponce$/, 5000);
  replies.send('three', port);
  await replies.next('got three');
});

test('a reload starts the cps count afresh, as xinetd does; a suspended service survives a reload', async (t) => {
  const port = await freePort();
  const d = await startDaemon(({ log }) => defaults(log) + hold('holdre', port, ['cps = 2 2']));
  t.after(() => d.stop());
  assert.equal(await visit(port), 'served');
  assert.equal(await visit(port), 'served');
  d.signal('SIGHUP');
  await d.waitForMessage(/Reconfigured/);
  assert.equal(await visit(port), 'served', 'the new generation counts from zero');
  assert.equal(await visit(port), 'served');
  assert.equal(await visit(port), 'closed');
  await d.waitForMessage(/Deactivating service holdre/);
  d.signal('SIGHUP');
  await waitFor('the second reload', async () => ((await readFile(d.messages, 'utf8')).match(/Reconfigured/g)?.length === 2 ? true : undefined), { file: d.messages });
  await d.waitForMessage(/Activating service holdre$/, 5000);
  assert.equal(await visit(port), 'served');
  const unused = await connectHeld(port);
  unused.socket.destroy();
  await waitForDump(d, 'zero', allZero);
});
