/**
 * Reverse look-ups against a resolver that never answers (an attacker controls the reverse zone
 * of its own addresses). A burst of such clients must cost the daemon one look-up timeout, not
 * keep its resolver queue busy for minutes after the clients are gone: a legitimate client,
 * whose name resolves at once, is admitted again within seconds.
 *
 * The daemon runs in a private mount namespace where /etc/hosts names only 127.0.0.1 and
 * 127.0.0.2 (localhost) and /etc/resolv.conf points at a UDP socket of this test that reads every query
 * and answers none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { join } from 'node:path';
import { startDaemon } from '../helpers/daemon.js';
import { exchange, freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

const RESOLVER = '127.53.53.53';
const BURST = 300;

test('a burst of clients whose reverse zone never answers: a client with a name is admitted again once the look-ups in flight time out', async (t) => {
  const silent = dgram.createSocket('udp4');
  let queries = 0;
  silent.on('message', () => queries++);
  silent.bind(53, RESOLVER);
  await once(silent, 'listening');
  t.after(() => silent.close());

  const port = await freePort();
  const d = await startDaemon(({ log }) => `defaults\n{\n\tlog_type = FILE ${log}\n\tlog_on_failure = HOST\n\tcps = 0\n}\n` +
    `service daytime\n{\n\ttype = INTERNAL UNLISTED\n\tsocket_type = stream\n\twait = no\n\tport = ${port}\n\tonly_from = localhost\n}\n`, {
    files: { hosts: '127.0.0.1 localhost\n127.0.0.2 localhost\n', 'resolv.conf': `nameserver ${RESOLVER}\noptions timeout:2 attempts:1\n` },
    env: { ...process.env, XINETD_TS_DNS_TIMEOUT_MS: '500' },
    wrapper: (dir) => ['unshare', '-m', '--propagation', 'private', 'sh', '-c',
      'mount --bind "$0" /etc/hosts && mount --bind "$1" /etc/resolv.conf && shift && exec "$@"', join(dir, 'hosts'), join(dir, 'resolv.conf')],
  });
  t.after(() => d.stop());
  const fromLocalhost = async (address: string) => (await exchange(port, undefined, { localAddress: address, ms: 5000 })).toString('latin1');
  assert.match(await fromLocalhost('127.0.0.1'), /\d\d:\d\d:\d\d/, 'localhost is admitted before the burst');

  // Every client of the burst waits for its name, gets none within 500 ms and is refused.
  const burst = await Promise.all(Array.from({ length: BURST }, (_, i) =>
    exchange(port, undefined, { localAddress: `127.0.${1 + Math.floor(i / 200)}.${1 + (i % 200)}`, ms: 10_000 })));
  assert.ok(burst.every((b) => b.length === 0), 'the burst is refused');
  assert.ok(queries > 0, 'the burst was looked up in DNS');

  // The two look-ups in flight end with the resolver's 2 s timeout; nothing of the burst is left
  // to run. 127.0.0.2 (also localhost) has not been looked up yet: its look-up waits for a slot.
  await waitFor('a client named localhost admitted again', async () => (/\d\d:\d\d:\d\d/.test(await fromLocalhost('127.0.0.2')) ? true : undefined), { ms: 8000, everyMs: 250 });
});
