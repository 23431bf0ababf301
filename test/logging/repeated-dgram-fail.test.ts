import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import type dgram from 'node:dgram';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { nextDatagram, readToEnd, udpSocket } from '../helpers/internal-services.js';
import { freePort } from '../helpers/net.js';
import { waitForLines } from '../helpers/e2e.js';

const echo = (id: string, port: number, extra = '') =>
  `service echo\n{\n\ttype = INTERNAL UNLISTED\n\tid = ${id}\n\tsocket_type = dgram\n\tport = ${port}\n\twait = yes\n\tonly_from = 127.0.0.1\n${extra}}\n`;

/**
 * xinetd's DGRAM_IGNORE_TIME (reference 8): a datagram refused for its address writes no FAIL
 * record when the service's last refused datagram came from the same address and port less
 * than 60 s ago. Observed on xinetd 2.3.15: 5 datagrams (:A :A :A :B :A) give 3 FAIL lines.
 */
describe('repeated address refusals of datagrams', () => {
  let d: RunningDaemon;
  const ports: Record<string, number> = {};
  let streamPort: number;
  let a: dgram.Socket;
  let b: dgram.Socket;
  let marker: dgram.Socket;
  before(async () => {
    ports.ue = await freePort();
    ports.ue4 = await freePort();
    streamPort = await freePort();
    d = await startDaemon(({ log }) =>
      `defaults\n{\n\tlog_type = FILE ${log}\n\tlog_on_success = HOST\n\tlog_on_failure = HOST\n}\n` +
      echo('ue', ports.ue!) + echo('ue4', ports.ue4!, '\tflags = IPv4\n') +
      `service daytime\n{\n\ttype = INTERNAL UNLISTED\n\tid = ud\n\tsocket_type = stream\n\tport = ${streamPort}\n\twait = no\n\tonly_from = 127.0.0.1\n}\n`);
    a = await udpSocket(await freePort(), '127.0.0.2');
    b = await udpSocket(await freePort(), '127.0.0.2');
    marker = await udpSocket(0, '127.0.0.1');
  });
  after(async () => {
    for (const s of [a, b, marker]) s?.close();
    await d?.stop();
  });

  for (const [id, from] of [['ue', '::ffff:127.0.0.2'], ['ue4', '127.0.0.2']] as const) {
    it(`${id}: the same source within 60 s is refused silently, another source is logged`, async () => {
      const port = ports[id]!;
      const fail = new RegExp(`: FAIL: ${id} address from=${from.replace(/\./g, '\\.')}$`);
      const fails = async () => (await d.logLines()).filter((l) => fail.test(l)).length;
      a.send('1', port, '127.0.0.1');
      await waitForLines(d.serviceLog, fail, 1);
      a.send('2', port, '127.0.0.1');
      a.send('3', port, '127.0.0.1');
      b.send('4', port, '127.0.0.1');
      // The second line is B's only if A's repeats wrote none.
      await waitForLines(d.serviceLog, fail, 2);
      a.send('5', port, '127.0.0.1');
      await waitForLines(d.serviceLog, fail, 3);
      // An admitted datagram after them: once its START is written, every earlier record is.
      marker.send('m', port, '127.0.0.1');
      assert.equal((await nextDatagram(marker)).data.toString(), 'm');
      await waitForLines(d.serviceLog, new RegExp(`: START: ${id} from=(::ffff:)?127\\.0\\.0\\.1$`), 1);
      assert.equal(await fails(), 3);
    });
  }

  it('a stream service logs every refusal of the same client, same source port included', async () => {
    const fail = /: FAIL: ud address from=::ffff:127\.0\.0\.2$/;
    const localPort = await freePort();
    for (let i = 0; i < 2; i++) {
      const s = net.connect({ port: streamPort, host: '127.0.0.1', localAddress: '127.0.0.2', localPort });
      await once(s, 'connect');
      assert.equal((await readToEnd(s)).length, 0);
      s.destroy();
      await waitForLines(d.serviceLog, fail, i + 1);
    }
    assert.equal((await d.logLines()).filter((l) => fail.test(l)).length, 2);
  });
});

test('the memory belongs to the service: a reload that readjusts it (its only_from edited) keeps it, as xinetd', async (t) => {
  const port = await freePort();
  const config = (log: string, onlyFrom: string) =>
    `defaults\n{\n\tlog_type = FILE ${log}\n\tlog_on_success = HOST\n\tlog_on_failure = HOST\n}\n` + echo('ue', port, '').replace('only_from = 127.0.0.1', `only_from = ${onlyFrom}`);
  const d = await startDaemon(({ log }) => config(log, '127.0.0.1'));
  t.after(() => d.stop());
  const a = await udpSocket(await freePort(), '127.0.0.2');
  const marker = await udpSocket(0, '127.0.0.1');
  t.after(() => [a, marker].forEach((s) => s.close()));
  const fail = /: FAIL: ue address from=::ffff:127\.0\.0\.2$/;
  a.send('1', port, '127.0.0.1');
  await waitForLines(d.serviceLog, fail, 1);

  writeFileSync(join(d.dir, 'xinetd.conf'), config(d.serviceLog, '127.0.0.1 127.0.0.3'));
  d.signal('SIGHUP');
  await waitForLines(d.messages, /Reconfigured: new=0 old=1 dropped=0/, 1);
  a.send('2', port, '127.0.0.1');
  marker.send('m', port, '127.0.0.1');
  assert.equal((await nextDatagram(marker)).data.toString(), 'm');
  await waitForLines(d.serviceLog, /: START: ue from=::ffff:127\.0\.0\.1$/, 1);
  // The repeat from the same address and port, 60 s not over, writes nothing across the reload.
  assert.equal((await d.logLines()).filter((l) => fail.test(l)).length, 1);
});
