/**
 * Overload never takes the daemon down: under a lowered descriptor limit (prlimit), a flood of
 * held in-process sessions runs the daemon into its descriptor reserve. The flooded service is
 * switched off with xinetd's `no available descriptors` for its cps WAIT, the daemon neither
 * spins nor dies, and a spawned-server service keeps answering throughout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from '../helpers/daemon.js';
import { allZero, connectHeld, cpuTicks, sendAndWaitClose, startDaemonWithNofile, waitForDump, type Held } from '../helpers/limits-daemon.js';
import { freePort } from '../helpers/net.js';
import { defaults, hold, spawned } from './conf.js';

const NOFILE = 160;

test('EMFILE: the flooded service pauses with `no available descriptors`; no spin, no crash, others answer', { timeout: 60_000 }, async (t) => {
  const [flood, other] = [await freePort(), await freePort()];
  const d = await startDaemonWithNofile(NOFILE, ({ log }) => defaults(log)
    + hold('holdflood', flood, ['cps = 0 2'])
    + spawned('hello', other, '/bin/echo', ['server_args = hello', 'cps = 0']));
  t.after(() => d.stop());
  const pid = d.child.pid!;

  const held: Held[] = [];
  t.after(() => held.forEach((h) => h.socket.destroy()));
  let refused = false;
  for (let i = 0; i < NOFILE && !refused; i++) {
    const h = await connectHeld(flood).catch(() => undefined);
    if (!h) break; // the listening socket is already closed
    held.push(h);
    h.socket.write('.');
    await Promise.race([h.expect(/\./), h.closed]);
    if (h.text() === '') refused = true;
  }
  assert.ok(refused, `a connection was refused after ${held.length} held ones`);
  await d.waitForLog(/FAIL: holdflood no available descriptors from=::ffff:127\.0\.0\.1$/);
  await d.waitForMessage(/ERROR: Deactivating service holdflood due to no available descriptors\. {2}Restarting in 2 seconds\.$/);
  assert.ok(held.length > 50 && held.length < NOFILE, `${held.length} sessions held before the reserve`);

  const ticks = cpuTicks(pid);
  for (let i = 0; i < 20; i++) assert.equal(await sendAndWaitClose(other), 'hello\n', 'the other service keeps answering');
  // The service comes back after WAIT, meets the same full table and pauses again; meanwhile
  // the daemon is idle: a spinning accept loop would burn the whole window.
  await d.waitForMessage(/ERROR: Activating service holdflood$/, 10_000);
  const used = cpuTicks(pid) - ticks;
  assert.ok(used < 150, `daemon CPU over the window: ${used} ticks`);
  assert.equal(d.child.exitCode, null, 'the daemon is alive');

  for (const h of held) h.socket.end();
  await waitForDump(d, 'every count back to zero', allZero);
  const again = await connectHeld(flood);
  again.socket.write('!');
  await again.expect(/!/);
  again.socket.end();
  assert.equal(await sendAndWaitClose(other), 'hello\n');
  assert.doesNotMatch(d.stderr(), /Error|EMFILE/);
});

test('a flood on one service leaves the others answering', { timeout: 60_000 }, async (t) => {
  const [flood, other] = [await freePort(), await freePort()];
  const d = await startDaemon(({ log }) => defaults(log)
    + hold('holdmob', flood, ['instances = 20'])
    + spawned('hello', other, '/bin/echo', ['server_args = hello']));
  t.after(() => d.stop());
  const mob = Array.from({ length: 400 }, () => connectHeld(flood).then((h) => {
    h.socket.write('.');
    return h;
  }, () => undefined));
  const answers = await Promise.all(Array.from({ length: 20 }, () => sendAndWaitClose(other)));
  assert.deepEqual(new Set(answers), new Set(['hello\n']));
  const held = (await Promise.all(mob)).filter((h): h is Held => h !== undefined);
  t.after(() => held.forEach((h) => h.socket.destroy()));
  await d.waitForMessage(/Deactivating service holdmob due to excessive incoming connections/);
  await d.waitForLog(/FAIL: holdmob (service_limit|connections per second)/);
  for (const h of held) h.socket.end();
  await waitForDump(d, 'every count back to zero', allZero);
  assert.equal(await sendAndWaitClose(other), 'hello\n');
});
