import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { ROOT, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { datagram, freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

/** Datagram services read a batch of datagrams at once (recvmmsg) and send its replies together (sendmmsg). */

interface Client {
  readonly socket: dgram.Socket;
  readonly sent: Buffer;
  readonly replies: Buffer[];
}

async function clientOn(address: string, sent: Buffer): Promise<Client> {
  const socket = dgram.createSocket('udp4');
  const replies: Buffer[] = [];
  socket.on('message', (m: Buffer) => replies.push(m));
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  return { socket, sent, replies };
}

/**
 * Send every client's datagram while the daemon is stopped (SIGSTOP), so all of them wait in
 * its socket buffer and it reads them in batches when it continues.
 */
async function sendWhileStopped(d: RunningDaemon, clients: readonly Client[], port: number): Promise<void> {
  // One exchange first: the first datagram of a service may wait for files to be read (libwrap),
  // and its reply then leaves after the batch; the burst is to test the batch's own path.
  assert.equal((await datagram(port, 'warm-up')).toString(), 'warm-up');
  d.signal('SIGSTOP');
  try {
    await Promise.all(clients.map((c) => new Promise<void>((resolve, reject) => c.socket.send(c.sent, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())))));
  } finally {
    d.signal('SIGCONT');
  }
}

/** Resolve when every client has `perClient(c)` replies (re-checked as replies arrive; bounded). */
function repliesIn(clients: readonly Client[], perClient: (c: Client) => number, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => clients.every((c) => c.replies.length >= perClient(c));
    const timer = setTimeout(() => {
      const missing = clients.filter((c) => c.replies.length < perClient(c)).length;
      reject(new Error(`${missing} of ${clients.length} clients still wait for replies after ${ms} ms`));
    }, ms);
    const check = () => {
      if (!done()) return;
      clearTimeout(timer);
      for (const c of clients) c.socket.off('message', check);
      resolve();
    };
    for (const c of clients) c.socket.on('message', check);
    check();
  });
}

/** A dgram internal service on 127.0.0.1:port (`id` line optional). */
function dgramService(name: string, port: number, id?: string): string {
  return `service ${name}
{${id ? `\n\tid = ${id}` : ''}
	type = INTERNAL UNLISTED
	socket_type = dgram
	wait = yes
	bind = 127.0.0.1
	port = ${port}
}
`;
}

/** The echo service on `port`, its START records (PID HOST) to the service log. */
const echoLoggingStarts = (port: number) => ({ log }: { log: string }): string => `defaults
{
	log_type = FILE ${log}
	log_on_success = PID HOST
}
${dgramService('echo', port, 'echo-dgram')}`;

/** The daemon, and the clients the test adds, all closed when the test ends. */
async function daemonWithClients(t: TestContext, config: Parameters<typeof startDaemon>[0]): Promise<{ d: RunningDaemon; clients: Client[] }> {
  const d = await startDaemon(config);
  const clients: Client[] = [];
  t.after(async () => {
    for (const c of clients) c.socket.close();
    await d.stop();
  });
  return { d, clients };
}

test('a burst from 48 sources on two addresses: every source gets its own bytes back, and START names its address', async (t) => {
  const port = await freePort();
  const { d, clients } = await daemonWithClients(t, echoLoggingStarts(port));
  // Alternating source addresses: a batch holds both, so the per-batch address text is exercised.
  for (let i = 0; i < 48; i++) {
    const payload = Buffer.concat([Buffer.from(`#${i}:`), randomBytes(1 + ((i * 97) % 1400))]);
    clients.push(await clientOn(i % 2 ? '127.0.0.2' : '127.0.0.1', payload));
  }
  await sendWhileStopped(d, clients, port);
  await repliesIn(clients, () => 1);
  for (const [i, c] of clients.entries()) {
    assert.equal(c.replies.length, 1, `client ${i}`);
    assert.ok(c.replies[0]!.equals(c.sent), `client ${i} got another client's bytes`);
  }
  // 49: the warm-up datagram came from 127.0.0.1 too.
  const lines = await waitFor('49 START records', async () => {
    const starts = (await d.logLines()).filter((l) => /START: echo-dgram pid=0 from=/.test(l));
    return starts.length >= 49 ? starts : undefined;
  }, { file: d.serviceLog, ms: 5000 });
  assert.equal(lines.filter((l) => l.endsWith('from=127.0.0.1')).length, 25, lines.join('\n'));
  assert.equal(lines.filter((l) => l.endsWith('from=127.0.0.2')).length, 24, lines.join('\n'));
});

test('replies made after the batch, larger than a batch slot, or two per datagram all reach their source', async (t) => {
  const port = await freePort();
  const plugin = join(ROOT, 'test/fixtures/plugins/reply-shapes.js');
  const { d, clients } = await daemonWithClients(t, `defaults
{
	plugins = ${plugin}
}
${dgramService('replyshapes', port)}`);
  const kinds = ['L', 'B', 'T', 'E'];
  for (let i = 0; i < 32; i++) clients.push(await clientOn('127.0.0.1', Buffer.from(`${kinds[i % 4]}${i}-${randomBytes(8).toString('hex')}`)));
  await sendWhileStopped(d, clients, port);
  const expected = (c: Client) => (c.sent[0] === 0x54 ? 2 : 1);
  await repliesIn(clients, expected);
  for (const [i, c] of clients.entries()) {
    assert.equal(c.replies.length, expected(c), `client ${i}`);
    for (const reply of c.replies) {
      if (c.sent[0] === 0x42) {
        assert.equal(reply.length, 4000, `client ${i}`);
        assert.ok(reply.subarray(0, c.sent.length).equals(c.sent), `client ${i}`);
      } else assert.ok(reply.equals(c.sent), `client ${i} got another client's bytes`);
    }
  }
});

test('lone datagrams from changing sources, one batch each: START names each one\'s own address', async (t) => {
  const port = await freePort();
  const { d, clients } = await daemonWithClients(t, echoLoggingStarts(port));
  // The receive path sends an address's text only when the source changes, across batches too.
  const order = ['127.0.0.1', '127.0.0.2', '127.0.0.2', '127.0.0.1', '127.0.0.3', '127.0.0.1', '127.0.0.3', '127.0.0.3'];
  for (const [i, address] of order.entries()) {
    const c = await clientOn(address, Buffer.from(`lone #${i} from ${address}`));
    clients.push(c);
    // One at a time: each is the only datagram in its batch.
    await new Promise<void>((resolve, reject) => c.socket.send(c.sent, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())));
    await repliesIn([c], () => 1);
    assert.ok(c.replies[0]!.equals(c.sent), `datagram ${i}`);
  }
  const lines = await waitFor(`${order.length} START records`, async () => {
    const starts = (await d.logLines()).filter((l) => /START: echo-dgram pid=0 from=/.test(l));
    return starts.length >= order.length ? starts : undefined;
  }, { file: d.serviceLog, ms: 5000 });
  assert.deepEqual(lines.map((l) => l.slice(l.indexOf('from=') + 5)), order);
});
