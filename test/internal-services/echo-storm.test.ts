import assert from 'node:assert/strict';
import type dgram from 'node:dgram';
import { after, before, test } from 'node:test';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { classicServices, nextDatagram, udpSocket } from '../helpers/internal-services.js';
import { freePort } from '../helpers/net.js';

let d: RunningDaemon;
const ports = { echo: 0, discard: 0, daytime: 0, time: 0, chargen: 0 };

before(async () => {
  for (const name of Object.keys(ports) as (keyof typeof ports)[]) ports[name] = await freePort();
  d = await startDaemon(({ log }) => `defaults\n{\n\tlog_type = FILE ${log}\n\tlog_on_success = PID HOST\n\tcps = 0\n}\n${classicServices(ports)}`);
});
after(() => d.stop());

/** A UDP socket on a privileged port of 127.0.0.1 that nobody else uses (the tests run as root). */
async function privilegedSocket(): Promise<dgram.Socket> {
  for (const port of [19, 7, 13, 37, 9, 600, 601, 602, 603, 604]) {
    try {
      return await udpSocket(port);
    } catch {
      // in use: try the next one
    }
  }
  throw new Error('no free privileged UDP port');
}

/**
 * Send `payload` from `bad` to the service, wait until the daemon logged it, then prove no reply
 * came: a datagram relayed through an echo of our own is queued after any reply would have been.
 */
async function assertNoReply(bad: dgram.Socket, port: number, id: string, count: number): Promise<void> {
  bad.send('ping', port, '127.0.0.1');
  await d.waitForLog(new RegExp(`START: ${id} pid=0 from=127\\.0\\.0\\.${bad.address().address.split('.')[3]}`));
  const lines = (await d.logLines()).filter((l) => l.includes(`START: ${id} `));
  assert.ok(lines.length >= count);
  const relay = await udpSocket();
  try {
    relay.on('message', (data, rinfo) => relay.send(data, rinfo.port, rinfo.address));
    bad.send('barrier', relay.address().port, '127.0.0.1');
    const first = await nextDatagram(bad);
    assert.equal(first.data.toString(), 'barrier', `${id} answered a datagram from port ${bad.address().port}`);
  } finally {
    relay.close();
  }
}

test('no reply to a datagram from a privileged port (one spoofed packet cannot start an echo storm)', async () => {
  const bad = await privilegedSocket();
  try {
    await assertNoReply(bad, ports.echo, 'echo-dgram', 1);
    await assertNoReply(bad, ports.chargen, 'chargen-dgram', 1);
  } finally {
    bad.close();
  }
});

test("no reply to a datagram from the service's own port", async () => {
  // The service listens on 127.0.0.1:P; the sender uses 127.0.0.2:P, the same port number.
  const bad = await udpSocket(ports.daytime, '127.0.0.2');
  try {
    await assertNoReply(bad, ports.daytime, 'daytime-dgram', 1);
  } finally {
    bad.close();
  }
});

test('an ordinary client port still gets its reply', async () => {
  const ok = await udpSocket();
  try {
    ok.send('hello', ports.echo, '127.0.0.1');
    assert.equal((await nextDatagram(ok)).data.toString(), 'hello');
  } finally {
    ok.close();
  }
});
