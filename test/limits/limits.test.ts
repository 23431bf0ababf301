/**
 * instances, per_source (with the IPv6 prefix), max_load, -limit and what a refused client
 * sees, through the real CLI, real loopback sockets and real servers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon } from '../helpers/daemon.js';
import { allZero, connectHeld, dumpState, sendAndWaitClose, waitForDump } from '../helpers/limits-daemon.js';
import { freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';
import { defaults, hold, holdDgram, spawned } from './conf.js';
import { udpClient } from './udp-client.js';

test('instances counts in-process sessions; the next client gets banner-less close and FAIL service_limit; a slot frees when a session ends', async (t) => {
  const port = await freePort();
  const d = await startDaemon(({ log }) => defaults(log) + hold('holdsvc', port, ['instances = 2']));
  t.after(() => d.stop());
  const a = await connectHeld(port);
  const b = await connectHeld(port);
  a.socket.write('a');
  b.socket.write('b');
  await Promise.all([a.expect(/^a$/), b.expect(/^b$/)]);
  assert.equal(await sendAndWaitClose(port, 'c'), '', 'refused: closed without a byte');
  await d.waitForLog(/FAIL: holdsvc service_limit from=::ffff:127\.0\.0\.1$/);
  a.socket.end();
  await a.closed;
  await waitForDump(d, 'one session left', (s) => s.services[0]?.running === 1);
  const c = await connectHeld(port);
  c.socket.write('c');
  await c.expect(/^c$/);
  b.socket.end();
  c.socket.end();
  await waitForDump(d, 'zero', allZero);
});

test('the built-in internal stream services count toward instances and per_source like forked servers', async (t) => {
  const [p1, p2] = [await freePort(), await freePort()];
  const internal = (name: string, id: string, port: number, lines: string[]) =>
    `service ${name}\n{\n\ttype = INTERNAL UNLISTED\n\tid = ${id}\n\tsocket_type = stream\n\tprotocol = tcp\n\twait = no\n\tuser = root\n\tport = ${port}\n${lines.map((l) => `\t${l}\n`).join('')}}\n`;
  const d = await startDaemon(({ log }) => defaults(log) + internal('echo', 'echo-stream', p1, ['instances = 1']) + internal('discard', 'discard-stream', p2, ['per_source = 1']));
  t.after(() => d.stop());
  const e = await connectHeld(p1);
  e.socket.write('hi');
  await e.expect(/^hi$/);
  assert.equal(await sendAndWaitClose(p1, 'x'), '');
  await d.waitForLog(/FAIL: echo-stream service_limit from=/);
  const k = await connectHeld(p2);
  await waitForDump(d, 'the discard session counted', (st) => st.services.find((x) => x.name === 'discard')?.running === 1);
  assert.equal(await sendAndWaitClose(p2, 'x'), '');
  await d.waitForLog(/FAIL: discard-stream per_source_limit from=::ffff:127\.0\.0\.1$/);
  e.socket.end();
  k.socket.end();
  await waitForDump(d, 'zero', allZero);
});

test('instances = 0 refuses everything, spawned and in-process; UNLIMITED and the default do not limit', async (t) => {
  const [p1, p2, p3, p4] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const d = await startDaemon(({ log }) => defaults(log, '\tinstances = 0')
    + hold('holdzero', p1)
    + spawned('catzero', p2, '/bin/cat')
    + hold('holdunl', p3, ['instances = UNLIMITED'])
    + spawned('echoone', p4, '/bin/echo', ['server_args = one', 'instances = unlimited']));
  t.after(() => d.stop());
  assert.equal(await sendAndWaitClose(p1, 'x'), '');
  assert.equal(await sendAndWaitClose(p2, 'x'), '');
  await d.waitForLog(/FAIL: holdzero service_limit/);
  await d.waitForLog(/FAIL: catzero service_limit/);
  const held = await Promise.all(Array.from({ length: 30 }, () => connectHeld(p3)));
  held.forEach((h, i) => h.socket.write(`${i}.`));
  await Promise.all(held.map((h, i) => h.expect(new RegExp(`^${i}\\.$`))));
  assert.equal(await sendAndWaitClose(p4), 'one\n');
  held.forEach((h) => h.socket.end());
  await waitForDump(d, 'zero', allZero);
});

test('per_source counts one client address (IPv4-mapped folded); another loopback address is another source', async (t) => {
  const [p1, p2] = [await freePort(), await freePort()];
  const d = await startDaemon(({ log }) => defaults(log)
    + hold('holdps', p1, ['per_source = 2'])
    + hold('holdps4', p2, ['per_source = 1', 'flags = IPv4', 'bind = 127.0.0.1']));
  t.after(() => d.stop());
  const a = await connectHeld(p1);
  const b = await connectHeld(p1);
  a.socket.write('a');
  b.socket.write('b');
  await Promise.all([a.expect(/a/), b.expect(/b/)]);
  assert.equal(await sendAndWaitClose(p1, 'x'), '');
  await d.waitForLog(/FAIL: holdps per_source_limit from=::ffff:127\.0\.0\.1$/);
  const other = await connectHeld(p1, { localAddress: '127.0.0.2' });
  other.socket.write('o');
  await other.expect(/^o$/);
  const s = await dumpState(d);
  const svc = s.services.find((x) => x.name === 'holdps')!;
  assert.equal(svc.running, 3);
  assert.deepEqual([...svc.sources].sort(), [['127.0.0.1', 2], ['127.0.0.2', 1]]);

  const c = await connectHeld(p2);
  c.socket.write('c');
  await c.expect(/c/);
  assert.equal(await sendAndWaitClose(p2, 'x'), '');
  await d.waitForLog(/FAIL: holdps4 per_source_limit from=127\.0\.0\.1$/);
  for (const h of [a, b, other, c]) h.socket.end();
  await waitForDump(d, 'zero', allZero);
});

test('per_source N /LEN groups IPv6 clients by prefix (::1 here; the grouping itself is unit-tested)', async (t) => {
  const port = await freePort();
  const d = await startDaemon(({ log }) => defaults(log) + hold('holdv6', port, ['per_source = 1 /64', 'bind = ::1']));
  t.after(() => d.stop());
  const a = await connectHeld(port, { host: '::1' });
  a.socket.write('a');
  await a.expect(/a/);
  const refused = await connectHeld(port, { host: '::1' });
  await refused.closed;
  assert.equal(refused.text(), '');
  await d.waitForLog(/FAIL: holdv6 per_source_limit from=::1$/);
  a.socket.end();
  await waitForDump(d, 'zero', allZero);
});

test('max_load refuses with FAIL load and xinetd\'s message while the load is at or above it', async (t) => {
  const [p1, p2] = [await freePort(), await freePort()];
  const d0 = await startDaemon(({ log }) => defaults(log) + spawned('echoload', p1, '/bin/echo', ['server_args = ok', 'max_load = 1000']));
  t.after(() => d0.stop());
  assert.equal(await sendAndWaitClose(p1), 'ok\n', 'the real /proc/loadavg is read and is below 1000');
  await d0.stop();

  const file = join(d0.dir, 'loadavg');
  writeFileSync(file, '3.50 1.00 0.50 2/100 4242\n');
  const d = await startDaemon(({ log }) => defaults(log) + spawned('echoload', p2, '/bin/echo', ['server_args = ok', 'max_load = 3.5']),
    { env: { ...process.env, XINETD_TS_TEST_LOADAVG_FILE: file } });
  t.after(() => d.stop());
  assert.equal(await sendAndWaitClose(p2), '');
  await d.waitForLog(/FAIL: echoload load from=::ffff:127\.0\.0\.1$/);
  await d.waitForMessage(/ERROR: refused connect from ::ffff:127\.0\.0\.1 due to excessive load$/);
  writeFileSync(file, '0.25 1.00 0.50 2/100 4242\n');
  // The figure is cached for one second: retry until the new one is read (bounded).
  await waitFor('admission once the load fell', async () => ((await sendAndWaitClose(p2)) === 'ok\n' ? true : undefined), { ms: 5000, everyMs: 100 });
});

test('max_load parsing follows xinetd: 0 and words are errors that disable the service', async (t) => {
  const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
  const d = await startDaemon(({ log }) => defaults(log)
    + spawned('zero', p1, '/bin/echo', ['max_load = 0'])
    + spawned('word', p2, '/bin/echo', ['max_load = high'])
    + spawned('fine', p3, '/bin/echo', ['max_load = 2.5']));
  t.after(() => d.stop());
  await d.waitForMessage(/error parsing max_load argument/);
  await d.waitForMessage(/error reading max_load argument/);
  await d.waitForMessage(/Started working: 1 available service/);
});

test('-limit N: process_limit once N servers run daemon-wide', async (t) => {
  const [p1, p2] = [await freePort(), await freePort()];
  const d = await startDaemon(({ log }) => defaults(log) + spawned('cat1', p1, '/bin/cat') + hold('holdlim', p2), { args: ['-limit', '2'] });
  t.after(() => d.stop());
  const a = await connectHeld(p1);
  const b = await connectHeld(p2);
  a.socket.write('a');
  b.socket.write('b');
  await Promise.all([a.expect(/a/), b.expect(/b/)]);
  assert.equal(await sendAndWaitClose(p1, 'x'), '');
  assert.equal(await sendAndWaitClose(p2, 'x'), '');
  await d.waitForLog(/FAIL: cat1 process_limit from=/);
  await d.waitForLog(/FAIL: holdlim process_limit from=/);
  a.socket.end();
  await a.closed;
  await waitForDump(d, 'one server left', (s) => s.runningServers === 1);
  const c = await connectHeld(p1);
  c.socket.write('c');
  await c.expect(/c/);
  b.socket.end();
  c.socket.end();
  await waitForDump(d, 'zero', allZero);
});

test('a refused datagram is dropped (FAIL logged, no reply)', async (t) => {
  const [p1, p2] = [await freePort(), await freePort()];
  const d = await startDaemon(({ log }) => defaults(log) + holdDgram('holdudp0', p1, ['instances = 0']) + holdDgram('holdudp', p2));
  t.after(() => d.stop());
  const client = await udpClient(t);
  client.send('refused', p1);
  await d.waitForLog(/FAIL: holdudp0 service_limit from=127\.0\.0\.1$/);
  client.send('served', p2);
  await client.next('served', 5000);
  assert.deepEqual(client.received, [{ port: p2, text: 'served' }]);
});
