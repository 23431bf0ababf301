import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { classicServices, connect, nextDatagram, readBytes, udpSocket } from '../helpers/internal-services.js';
import { datagram, exchange, freePort } from '../helpers/net.js';

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** The C library's rendering of now in xinetd's daytime format (date(1) with %Z). */
function libcDaytime(tz: string | undefined): string {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C' };
  if (tz === undefined) delete env.TZ;
  else env.TZ = tz;
  const [dd, mon, rest] = execFileSync('date', ['+%d %m %Y %H:%M:%S %Z'], { env, encoding: 'utf8' }).trim().split(/ (\d\d) /);
  return `${dd} ${MONTHS[Number(mon) - 1]} ${rest}\r\n`;
}

/** Reference chargen: line k of a session starting at ring offset p (reference 10.1). */
function chargenLine(offset: number, length = 72): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode(0x21 + ((offset + i) % 93));
  return `${s}\r\n`;
}
const offsetOf = (line: string) => {
  for (let p = 0; p < 95; p++) if (chargenLine(p) === line) return p;
  return -1;
};

let d: RunningDaemon;
const ports = { echo: 0, discard: 0, daytime: 0, time: 0, chargen: 0 };

before(async () => {
  for (const name of Object.keys(ports) as (keyof typeof ports)[]) ports[name] = await freePort();
  d = await startDaemon(({ log }) => `defaults\n{\n\tlog_type = FILE ${log}\n\tlog_on_success = PID HOST EXIT DURATION\n\tlog_on_failure = HOST\n}\n${classicServices(ports)}`);
});
after(() => d.stop());

test('stream daytime is `DD MON YYYY HH:MM:SS ZONE\\r\\n` in local time, then close; START pid=0 and no EXIT', async () => {
  const before = libcDaytime(process.env.TZ);
  const reply = (await exchange(ports.daytime)).toString('latin1');
  const afterText = libcDaytime(process.env.TZ);
  assert.match(reply, /^\d\d (JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC) \d{4} \d\d:\d\d:\d\d [A-Z+\-0-9]+\r\n$/);
  assert.ok(reply === before || reply === afterText, `${JSON.stringify(reply)} vs date(1) ${JSON.stringify(before)}`);
  await d.waitForLog(/: START: daytime-stream pid=0 from=127\.0\.0\.1$/);
});

test('dgram daytime replies with the same string', async () => {
  const before = libcDaytime(process.env.TZ);
  const reply = (await datagram(ports.daytime, '\n')).toString('latin1');
  assert.ok(reply === before || reply === libcDaytime(process.env.TZ), JSON.stringify(reply));
  await d.waitForLog(/: START: daytime-dgram pid=0 from=127\.0\.0\.1$/);
});

test('time is 4 bytes: seconds since 1900, big-endian, stream and dgram', async () => {
  for (const get of [() => exchange(ports.time), () => datagram(ports.time, 'x')]) {
    const lo = Math.floor(Date.now() / 1000) + 2208988800;
    const reply = await get();
    const hi = Math.floor(Date.now() / 1000) + 2208988800;
    assert.equal(reply.length, 4);
    const value = reply.readUInt32BE(0);
    assert.ok(value >= lo % 2 ** 32 && value <= hi % 2 ** 32, `${value} not in [${lo}, ${hi}]`);
  }
});

test('stream echo returns any bytes unchanged (1 MiB of random binary), logs START and EXIT with pid=0', async () => {
  const payload = randomBytes(1 << 20);
  const reply = await exchange(ports.echo, payload, { ms: 15_000 });
  assert.equal(Buffer.compare(reply, payload), 0);
  await d.waitForLog(/: START: echo-stream pid=0 from=127\.0\.0\.1$/);
  await d.waitForLog(/: EXIT: echo-stream status=0 pid=0 duration=\d+\(sec\)$/);
});

test('stream echo stays byte-exact for concurrent clients, fast and slow readers (each connection reuses one read buffer)', async () => {
  // Slow readers make the daemon's writes wait: a read buffer reused too early would corrupt
  // the bytes still to send. 12 clients; every third one sends more than loopback's socket
  // buffers hold (16 MiB) and reads it back in small sips.
  const one = async (i: number) => {
    const slow = i % 3 === 0;
    const payload = randomBytes(slow ? 16 << 20 : 3 << 20);
    const socket = net.connect(ports.echo, '127.0.0.1');
    const chunks: Buffer[] = [];
    let received = 0;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`client ${i}: ${received} of ${payload.length} bytes after 60 s`)), 60_000);
      socket.on('data', (c: Buffer) => {
        chunks.push(c);
        received += c.length;
        if (slow) {
          // Slower than the daemon writes: its socket buffer fills and writes have to wait.
          socket.pause();
          setTimeout(() => socket.resume(), 3);
        }
      });
      socket.on('end', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.on('error', reject);
    });
    socket.end(payload);
    await done;
    assert.equal(Buffer.compare(Buffer.concat(chunks), payload), 0, `client ${i}: the echoed bytes differ`);
  };
  await Promise.all(Array.from({ length: 12 }, (_, i) => one(i)));
});

test('dgram echo returns the datagram (binary), truncated to 2048 bytes as xinetd reads it', async () => {
  const small = randomBytes(1000);
  assert.deepEqual(await datagram(ports.echo, small), small);
  const large = randomBytes(3000);
  assert.deepEqual(await datagram(ports.echo, large), large.subarray(0, 2048));
});

test('stream discard reads and drops until EOF; dgram discard never replies', async () => {
  assert.equal((await exchange(ports.discard, randomBytes(1 << 20), { ms: 15_000 })).length, 0);
  await d.waitForLog(/: EXIT: discard-stream status=0 pid=0/);
  const client = await udpSocket();
  try {
    client.send('drop me', ports.discard, '127.0.0.1');
    await d.waitForLog(/: START: discard-dgram pid=0 from=127\.0\.0\.1$/);
    // Ordering barrier: a discard reply would have been queued before this echo reply.
    client.send('marker', ports.echo, '127.0.0.1');
    const first = await nextDatagram(client);
    assert.equal(first.port, ports.echo);
    assert.equal(first.data.toString(), 'marker');
  } finally {
    client.close();
  }
});

test('stream chargen: 74-byte lines of 72 printable characters, xinetd ring order, no ~ or space', async () => {
  const socket = await connect(ports.chargen);
  const data = (await readBytes(socket, 74 * 200)).toString('latin1');
  socket.destroy();
  assert.equal(data.length, 74 * 200);
  assert.doesNotMatch(data, /[~ ]/);
  const lines = data.match(/[\s\S]{74}/g)!;
  const start = offsetOf(lines[0]!);
  assert.ok(start >= 0, `first line is not a ring line: ${lines[0]}`);
  lines.forEach((line, k) => assert.equal(line, chargenLine((start + k) % 95), `line ${k}`));
  const firsts = lines.map((l) => l[0]).join('');
  assert.ok(firsts.includes('|}!"!"#$'), 'first characters wrap as `| } ! " ! " # $`');
  await d.waitForLog(/: EXIT: chargen-stream status=0 pid=0/);
});

test('dgram chargen: exactly 1024 bytes (13 lines + one of 60); each request advances the ring by 14, and a stream starts where it is', async () => {
  const a = (await datagram(ports.chargen, '')).toString('latin1');
  const b = (await datagram(ports.chargen, '')).toString('latin1');
  for (const reply of [a, b]) {
    assert.equal(reply.length, 1024);
    const p = offsetOf(reply.slice(0, 74));
    for (let k = 0; k < 13; k++) assert.equal(reply.slice(k * 74, k * 74 + 74), chargenLine((p + k) % 95));
    assert.equal(reply.slice(962), chargenLine((p + 13) % 95, 60));
  }
  const pa = offsetOf(a.slice(0, 74));
  assert.equal(offsetOf(b.slice(0, 74)), (pa + 14) % 95);
  const socket = await connect(ports.chargen);
  const first = (await readBytes(socket, 74)).toString('latin1');
  socket.destroy();
  assert.equal(offsetOf(first), (pa + 28) % 95);
});

test('daytime names the zone as the C library does (TZ=Europe/Berlin gives CET/CEST, not GMT+1)', async (t) => {
  const port = await freePort();
  const berlin = await startDaemon(`service daytime\n{\n\ttype = INTERNAL UNLISTED\n\tsocket_type = stream\n\twait = no\n\tport = ${port}\n\tbind = 127.0.0.1\n}\n`, { env: { ...process.env, TZ: 'Europe/Berlin' } });
  t.after(() => berlin.stop());
  const before = libcDaytime('Europe/Berlin');
  const reply = (await exchange(port)).toString('latin1');
  assert.ok(reply === before || reply === libcDaytime('Europe/Berlin'), `${JSON.stringify(reply)} vs ${JSON.stringify(before)}`);
  assert.match(reply, / CES?T\r\n$/);
});
