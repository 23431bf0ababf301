/**
 * instances and per_source under churn: clients that connect again as soon as their short
 * session ends. The count must follow the servers that run. The launcher used to start a whole
 * burst of servers (up to 64 per wakeup) before confirming any start or reporting any end, so
 * the daemon counted servers long gone and refused clients with fewer servers running than
 * `instances` allows; xinetd, which reaps between accepts, serves them all. Even with ends
 * reported within 2 ms, a loaded machine (this suite on two cores) refused one in 480: a count
 * that would refuse is now read again after a round trip to the launcher.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readLines } from '../helpers/wait.js';
import { startDaemon } from '../helpers/daemon.js';
import { exchange, freePort } from '../helpers/net.js';
import { defaults, spawned } from './conf.js';

const CLIENTS = 8;
const SESSIONS_EACH = 60;

/**
 * CLIENTS clients each run SESSIONS_EACH short /bin/cat sessions back to back against a service
 * with `limit`, on `launchers` launcher processes: every session must be served.
 */
async function everyClientServed(t: TestContext, limit: string, launchers: number): Promise<void> {
  const port = await freePort();
  const d = await startDaemon(({ log }) => defaults(log, '\tcps = 0') + spawned('cat', port, '/bin/cat', [limit]), {
    env: { ...process.env, XINETD_TS_LAUNCHERS: String(launchers) },
  });
  t.after(() => d.stop());
  const replies = await Promise.all(Array.from({ length: CLIENTS }, async () => {
    const got: string[] = [];
    for (let i = 0; i < SESSIONS_EACH; i++) got.push((await exchange(port, 'ping\n', { ms: 10_000 })).toString());
    return got;
  }));
  const refused = (await readLines(d.serviceLog)).filter((l) => /FAIL: cat /.test(l));
  assert.deepEqual(refused, [], `${refused.length} of ${CLIENTS * SESSIONS_EACH} clients refused with at most ${CLIENTS} sessions at a time`);
  for (const got of replies) assert.deepEqual(got, Array(SESSIONS_EACH).fill('ping\n'));
}

test('8 clients in a loop of short /bin/cat sessions never meet instances = 20 (one launcher process)', async (t) => {
  // One process: every start and every end goes through the same queue.
  await everyClientServed(t, 'instances = 20', 1);
});

test('8 clients from one address in a loop of short /bin/cat sessions never meet per_source = 12 (two launcher processes)', async (t) => {
  // Not 8: a client sees its session end when the server closes the socket, a moment before the
  // server can be reaped, so at exactly the limit xinetd refuses a few too (2-3 of 480 here).
  await everyClientServed(t, 'per_source = 12', 2);
});
