import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { checkJson } from '../helpers/cli.js';
import { startDaemon, tempDir, type RunningDaemon } from '../helpers/daemon.js';
import { connect, rssBytes } from '../helpers/internal-services.js';
import { exchange, freePort } from '../helpers/net.js';
import { backend, blackhole, closedPort } from '../helpers/redirect-backends.js';

const redirectService = (port: number, redirect: string, extra = '') =>
  `defaults\n{\n\tlog_type = FILE \${log}\n\tlog_on_success = PID HOST EXIT TRAFFIC\n\tcps = 0\n}\nservice r1\n{\n\ttype = UNLISTED\n\tsocket_type = stream\n\tprotocol = tcp\n\twait = no\n\tport = ${port}\n\tbind = 127.0.0.1\n\tredirect = ${redirect}\n${extra}}\n`;
const start = (text: string) => startDaemon(({ log }) => text.replace('${log}', log));

/** Replies `got:<everything read>` after the client's EOF (needs client -> server half-close). */
const replyAfterEof = (socket: import('node:net').Socket) => {
  let got = '';
  socket.on('data', (c: Buffer) => (got += c.toString()));
  socket.on('end', () => socket.end(`got:${got}`));
};

test('proxies with half-close client -> server: the reply after the client shut down writing arrives; TRAFFIC and EXIT logged', async (t) => {
  const b = await backend(replyAfterEof);
  const port = await freePort();
  const d = await start(redirectService(port, `127.0.0.1 ${b.port}`));
  t.after(async () => {
    await d.stop();
    await b.close();
  });
  assert.equal((await exchange(port, 'hello')).toString(), 'got:hello');
  await d.waitForLog(/START: r1 pid=0 from=127\.0\.0\.1$/);
  await d.waitForLog(/TRAFFIC: r1 in=5\(bytes\) out=9\(bytes\)$/);
  await d.waitForLog(/EXIT: r1 status=0 pid=0$/);
});

test('half-close server -> client: the backend ends first, the client can still send', async (t) => {
  let received = '';
  let resolveEnd!: () => void;
  const ended = new Promise<void>((r) => (resolveEnd = r));
  const b = await backend((socket) => {
    socket.end('banner');
    socket.on('data', (c: Buffer) => (received += c.toString()));
    socket.on('end', resolveEnd);
  });
  const port = await freePort();
  const d = await start(redirectService(port, `127.0.0.1 ${b.port}`));
  t.after(async () => {
    await d.stop();
    await b.close();
  });
  const client = await connect(port);
  client.allowHalfOpen = true;
  const banner = await new Promise<string>((resolve) => {
    let text = '';
    client.on('data', (c: Buffer) => (text += c.toString()));
    client.once('end', () => resolve(text));
  });
  assert.equal(banner, 'banner');
  client.end('late words');
  await ended;
  assert.equal(received, 'late words');
});

test('several targets: one that refuses and one that times out are skipped and logged; the next one serves', async (t) => {
  const b = await backend(replyAfterEof);
  const hole = await blackhole();
  const refused = await closedPort();
  const port = await freePort();
  const d = await start(redirectService(port, `127.0.0.1 ${refused} 127.0.0.1 ${hole.port} 127.0.0.1 ${b.port}`, '\tredirect_timeout = 1\n'));
  t.after(async () => {
    await d.stop();
    hole.close();
    await b.close();
  });
  assert.equal((await exchange(port, 'x', { ms: 10_000 })).toString(), 'got:x');
  // xinetd's words (`%m`), then the service, port and next target.
  await d.waitForMessage(new RegExp(`ERROR: can't connect to remote host 127\\.0\\.0\\.1: Connection refused \\(errno = 111\\) \\(r1, 127\\.0\\.0\\.1 port ${refused}; trying 127\\.0\\.0\\.1 port ${hole.port}\\)$`));
  await d.waitForMessage(new RegExp(`ERROR: can't connect to remote host 127\\.0\\.0\\.1: timed out after 1 s \\(r1, 127\\.0\\.0\\.1 port ${hole.port}; trying 127\\.0\\.0\\.1 port ${b.port}\\)$`));
});

test('no reachable target: the client is closed and the failure logged', async (t) => {
  const refused = await closedPort();
  const port = await freePort();
  const d = await start(redirectService(port, `127.0.0.1 ${refused}`));
  t.after(() => d.stop());
  assert.equal((await exchange(port)).length, 0);
  await d.waitForMessage(/ERROR: r1: no redirect target reachable; closing the connection from 127\.0\.0\.1/);
  await d.waitForLog(/EXIT: r1 status=0 pid=0$/);
});

/** A daemon whose redirect service's only target never accepts, tried for `timeout` seconds. */
async function towardBlackhole(t: TestContext, timeout: number): Promise<{ d: RunningDaemon; port: number }> {
  const hole = await blackhole();
  const port = await freePort();
  const d = await start(redirectService(port, `127.0.0.1 ${hole.port}`, `\tredirect_timeout = ${timeout}\n`));
  t.after(async () => {
    await d.stop();
    hole.close();
  });
  return { d, port };
}

test('a client that closed while the targets were tried is named by the address it came from', async (t) => {
  const { d, port } = await towardBlackhole(t, 1);
  const client = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.3' });
  await once(client, 'connect');
  client.destroy();
  await d.waitForMessage(/ERROR: r1: no redirect target reachable; closing the connection from /, 5000);
  assert.match(readFileSync(d.messages, 'utf8'), /no redirect target reachable; closing the connection from 127\.0\.0\.3\n/);
});

test('a client that resets while a target is tried ends its session at once, not after redirect_timeout', async (t) => {
  const { d, port } = await towardBlackhole(t, 60);
  const client = net.connect({ port, host: '127.0.0.1' });
  await once(client, 'connect');
  await d.waitForLog(/START: r1 pid=0 from=127\.0\.0\.1$/);
  client.resetAndDestroy();
  // The daemon reads the client while it connects, so the reset is seen: the session ends.
  await d.waitForLog(/EXIT: r1 status=0 pid=0$/, 5000);
  assert.doesNotMatch(readFileSync(d.messages, 'utf8'), /can't connect|no redirect target reachable/);
});

test('bind is the source address toward the target; host names are resolved', async (t) => {
  const b = await backend(replyAfterEof, '::');
  const port = await freePort();
  const d = await start(redirectService(port, `localhost ${b.port}`).replace('bind = 127.0.0.1', 'bind = 127.0.0.2'));
  t.after(async () => {
    await d.stop();
    await b.close();
  });
  assert.equal((await exchange(port, 'via name', { host: '127.0.0.2' })).toString(), 'got:via name');
  // localhost may resolve to ::1 (then an IPv4 bind cannot be the source) or to 127.0.0.1.
  assert.ok(b.peers[0] === '::1' || b.peers[0] === '::ffff:127.0.0.2', `backend saw ${b.peers[0]}`);
  const numeric = await freePort();
  const d2 = await start(redirectService(numeric, `127.0.0.1 ${b.port}`).replace('bind = 127.0.0.1', 'bind = 127.0.0.2'));
  t.after(() => d2.stop());
  assert.equal((await exchange(numeric, 'v4', { host: '127.0.0.2' })).toString(), 'got:v4');
  assert.equal(b.peers[1], '::ffff:127.0.0.2');
});

test('a slow reader never makes the daemon buffer: 100 MiB from the backend, read slowly', async (t) => {
  const chunk = Buffer.alloc(1 << 20, 0x63);
  const b = await backend((socket) => {
    let sent = 0;
    const pump = () => {
      while (sent < 100) {
        sent++;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
      socket.end();
    };
    pump();
  });
  const port = await freePort();
  const d = await start(redirectService(port, `127.0.0.1 ${b.port}`));
  t.after(async () => {
    await d.stop();
    await b.close();
  });
  const base = rssBytes(d.child.pid!);
  const client = await connect(port);
  let read = 0;
  let peak = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${read} bytes only`)), 60_000);
    client.on('data', (c: Buffer) => {
      read += c.length;
      client.pause();
      // About 60 MiB/s at most: far slower than the backend, so a proxy without
      // back-pressure would pile up most of the 100 MiB.
      setTimeout(() => {
        peak = Math.max(peak, rssBytes(d.child.pid!) - base);
        client.resume();
      }, 1);
    });
    client.on('end', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  client.destroy();
  assert.equal(read, 100 * (1 << 20));
  // Every byte passes through fresh read buffers, so RSS saws up and down with garbage
  // collection (observed 12-32 MiB); a proxy that buffered would hold most of the 100 MiB.
  assert.ok(peak < 50 * 1024 * 1024, `daemon RSS grew by ${peak} bytes`);
  await d.waitForLog(/TRAFFIC: r1 in=0\(bytes\) out=104857600\(bytes\)$/);
});

test('TRAFFIC on a service without redirect is a warning, not a disabled service; redirect needs stream + wait = no', async () => {
  const dir = tempDir();
  const file = join(dir, 'xinetd.conf');
  writeFileSync(file, `service daytime\n{\n\ttype = INTERNAL UNLISTED\n\tsocket_type = stream\n\twait = no\n\tport = 7013\n\tlog_type = FILE ${dir}/log\n\tlog_on_success = TRAFFIC\n}\nservice r2\n{\n\ttype = UNLISTED\n\tsocket_type = stream\n\twait = yes\n\tport = 7014\n\tredirect = 127.0.0.1 1\n}\n`);
  const { json } = await checkJson(file);
  const daytime = json.services.find((s) => s.name === 'daytime')!;
  assert.equal(daytime.status, 'active');
  assert.ok(json.diagnostics.some((x) => x.level === 'warning' && /TRAFFIC in log_on_success applies to redirect services only/.test(x.message)));
  const r2 = json.services.find((s) => s.name === 'r2')!;
  assert.equal(r2.status, 'error');
  assert.match(r2.reason ?? '', /redirect needs socket_type stream, protocol tcp and wait = no/);
});
