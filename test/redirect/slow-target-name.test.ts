/**
 * A redirect target named by a host name that does not resolve, with a resolver that never
 * answers. Each connection used to look the name up again on its own: a burst of clients was a
 * burst of look-ups, run a few at a time, each client's socket held until its turn came (minutes).
 * Now one look-up at most every few seconds serves every connection meanwhile.
 *
 * The daemon runs in a private mount namespace whose /etc/resolv.conf points at a UDP socket of
 * this test that answers nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon } from '../helpers/daemon.js';
import { exchange, freePort } from '../helpers/net.js';

const RESOLVER = '127.53.53.54';
const BURST = 100;

test('a burst of clients of a redirect whose target name cannot be resolved is closed at once, with one look-up', async (t) => {
  const silent = dgram.createSocket('udp4');
  silent.bind(53, RESOLVER);
  await once(silent, 'listening');
  t.after(() => silent.close());

  const port = await freePort();
  const d = await startDaemon(({ log }) => `defaults\n{\n\tlog_type = FILE ${log}\n\tlog_on_success = PID HOST EXIT\n\tcps = 0\n}\n` +
    `service r1\n{\n\ttype = UNLISTED\n\tsocket_type = stream\n\twait = no\n\tport = ${port}\n\tbind = 127.0.0.1\n\tredirect = backend.example 9\n}\n`, {
    files: { hosts: '127.0.0.1 localhost\n', 'resolv.conf': `nameserver ${RESOLVER}\noptions timeout:1 attempts:1\n` },
    wrapper: (dir) => ['unshare', '-m', '--propagation', 'private', 'sh', '-c',
      'mount --bind "$0" /etc/hosts && mount --bind "$1" /etc/resolv.conf && shift && exec "$@"', join(dir, 'hosts'), join(dir, 'resolv.conf')],
  });
  t.after(() => d.stop());
  // The look-up at start fails after the resolver's timeout.
  await d.waitForMessage(/ERROR: r1: cannot resolve redirect host backend\.example: /);
  const failures = () => readFileSync(d.messages, 'utf8').match(/cannot resolve redirect host/g)?.length ?? 0;
  const before = failures();

  const replies = await Promise.all(Array.from({ length: BURST }, () => exchange(port, undefined, { ms: 5000 })));
  assert.ok(replies.every((r) => r.length === 0), 'every client is closed');
  await d.waitForMessage(/r1: no redirect target reachable; closing the connection from 127\.0\.0\.1/);
  assert.ok(failures() - before <= 1, `${failures() - before} look-ups for ${BURST} clients`);
});
