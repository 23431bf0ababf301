/**
 * The daemon accepts through the native addon (dist/native/acceptor.node) when it was built,
 * and through net.Server / node:dgram otherwise (XINETD_TS_NATIVE_ACCEPT=0 forces that). Both
 * paths must behave the same from the outside: answers, spawned servers, refusals, records,
 * bind errors.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, startDaemon } from '../helpers/daemon.js';
import { freePorts, loggingDefaults, service, streamService } from '../helpers/e2e.js';
import { datagram, exchange } from '../helpers/net.js';

test('the native accept addon is built (npm run build compiles it with the Node headers)', () => {
  assert.ok(existsSync(join(ROOT, 'dist/native/acceptor.node')), 'dist/native/acceptor.node is missing: are the Node headers (node_api.h) installed?');
});

const DAYTIME = /^\d\d [A-Z]{3} \d{4} \d\d:\d\d:\d\d \S+\r\n$/;

for (const mode of ['native', 'net'] as const) {
  test(`${mode} accept path: answers, spawned servers, datagrams, refusals and their records`, async (t) => {
    const [daytime, cat, udpEcho, refused, taken] = await freePorts(5);
    const holder = net.createServer().listen(taken, '127.0.0.1');
    await once(holder, 'listening');
    t.after(() => holder.close());
    const env = { ...process.env, XINETD_TS_NATIVE_ACCEPT: mode === 'native' ? '1' : '0' };
    const d = await startDaemon(({ log }) => [
      loggingDefaults(log, ['log_on_success = PID HOST EXIT DURATION']),
      service('daytime', ['type = INTERNAL UNLISTED', 'socket_type = stream', 'wait = no', 'bind = 127.0.0.1', `port = ${daytime}`]),
      service('echo', ['type = INTERNAL UNLISTED', 'socket_type = dgram', 'protocol = udp', 'wait = yes', 'bind = 127.0.0.1', `port = ${udpEcho}`]),
      streamService('cat', cat!, '/bin/cat', ['bind = 127.0.0.1']),
      streamService('refused', refused!, '/bin/cat', ['bind = 127.0.0.1', 'only_from = 10.9.9.9']),
      service('daytime', ['id = taken', 'type = INTERNAL UNLISTED', 'socket_type = stream', 'wait = no', 'bind = 127.0.0.1', `port = ${taken}`]),
    ].join('\n'), { env });
    t.after(() => d.stop());

    // daytime: the answer, then the end of the stream; START with pid=0, never EXIT.
    assert.match((await exchange(daytime!)).toString('latin1'), DAYTIME);
    await d.waitForLog(/START: daytime pid=0 from=127\.0\.0\.1$/);

    // a spawned server gets the client's bytes and its records have its pid.
    assert.equal((await exchange(cat!, 'through cat\n')).toString(), 'through cat\n');
    const start = await d.waitForLog(/START: cat pid=(\d+) from=127\.0\.0\.1$/);
    const pid = /pid=(\d+)/.exec(start)![1];
    assert.notEqual(pid, '0');
    await d.waitForLog(new RegExp(`EXIT: cat status=0 pid=${pid} duration=\\d+\\(sec\\)$`));

    // a datagram service answers each datagram, byte for byte.
    const payload = Buffer.from([0, 1, 2, 255, 10, 13]);
    assert.deepEqual(await datagram(udpEcho!, payload), payload);

    // a refused client gets an orderly end of stream (FIN, not a reset) even when it had sent
    // bytes, and the FAIL record names the reason.
    assert.equal((await exchange(refused!, 'unread bytes\n')).length, 0);
    await d.waitForLog(/FAIL: refused address from=127\.0\.0\.1$/);

    // the port that was taken before start: deactivated with the system's reason in xinetd's
    // words (`%m`: the C library's text and the errno), on both accept paths; the rest run.
    await d.waitForMessage(/bind failed \(Address already in use \(errno = 98\)\)\. service = taken$/);
  });
}
