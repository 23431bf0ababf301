/**
 * Hostile clients against one running daemon (the real CLI): tcpmux, xadmin, the classic
 * services over TCP and UDP, redirect, spawned servers and a banner, all at once, in seeded
 * rounds of a fixed number of clients. After each round: the daemon is the same process, every
 * service still gives its exact answer, its memory and descriptors come back to their baseline,
 * every START that gets an EXIT has it, and nothing was uncaught.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type net from 'node:net';
import { after, before, test } from 'node:test';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { alive, service, streamService } from '../helpers/e2e.js';
import { hostileClient, openDescriptors, pool, portsInRange, seeded, type HostileClient, type Rng } from '../helpers/hostile.js';
import { classicServices, rssBytes, tcpmuxHead, udpSocket } from '../helpers/internal-services.js';
import { datagram, exchange, sendDatagram } from '../helpers/net.js';
import { backend, blackhole } from '../helpers/redirect-backends.js';
import { waitFor } from '../helpers/wait.js';

/** One round per seed; the first one only warms up the paths before the baselines are taken. */
const WARM_UP = 0x0dd5eed;
const SEEDS = [0x5eed01, 0x5eed02, 0x5eed03, 0x5eed04];
/** Clients per round drawn from HOSTILE, at most WIDTH at once; plus QUICK bare connects. */
const CLIENTS = 200;
const WIDTH = 16;
const QUICK = 700;
/** What the daemon may keep once the clients are gone (heap growth, malloc arenas). */
const RSS_ALLOWANCE = 40 * 1024 * 1024;
/** Descriptors the daemon may hold beyond its baseline once the clients are gone. */
const FD_SLACK = 3;
/**
 * A client pushing this much without reading must find the daemon stopped reading long before:
 * more than the kernel buffers between it and a target that never reads (up to 32 MiB receive
 * and 4 MiB send buffers per socket here).
 */
const FLOOD_MIB = 128;

const GO = Buffer.from('+Go\r\n\0', 'latin1');
const NOT_FOUND = Buffer.from('-Service name not found\r\n\0', 'latin1');
const DAYTIME = /^\d\d [A-Z]{3} \d{4} \d\d:\d\d:\d\d \S+\r\n$/;
/** The sessions xinetd forks for, which end with an EXIT record (daytime, time and datagrams do not). */
const EXIT_LOGGED = ['echo-stream', 'discard-stream', 'chargen-stream', 'tcpmux', 'mux-echo', 'muxcat', 'xadmin', 'servers', 'services', 'redir-echo', 'redir-reset', 'redir-stall', 'redir-hole', 'cat', 'script'];

interface Ports {
  echo: number; discard: number; daytime: number; time: number; chargen: number;
  tcpmux: number; xadmin: number; servers: number; services: number;
  redirEcho: number; redirReset: number; redirStall: number; redirHole: number;
  cat: number; script: number;
  resetTarget: number; stallTarget: number; holeTarget: number;
}

let d: RunningDaemon;
let pid = 0;
let p: Ports;
let baseline = { rss: 0, fds: 0 };
const closers: (() => unknown)[] = [];
/** The connections of the redirect target that never reads (until a round ends). */
const stalled = new Set<net.Socket>();

const stream = (name: string, port: number, lines: readonly string[], type = 'UNLISTED') =>
  service(name, [`type = ${type}`, 'socket_type = stream', 'protocol = tcp', 'wait = no', `port = ${port}`, 'bind = 127.0.0.1', ...lines]);
const internal = (name: string, port: number) => stream(name, port, [], 'INTERNAL UNLISTED');
const redirect = (id: string, port: number, target: number) => stream(id, port, [`redirect = 127.0.0.1 ${target}`, 'redirect_timeout = 30']);

before(async () => {
  const [echo, discard, daytime, time, chargen, tcpmux, xadmin, servers, services, redirEcho, redirReset, redirStall, redirHole, cat, script, resetTarget, stallTarget, holeTarget] = await portsInRange(18, 18600, 18799);
  p = { echo: echo!, discard: discard!, daytime: daytime!, time: time!, chargen: chargen!, tcpmux: tcpmux!, xadmin: xadmin!, servers: servers!, services: services!, redirEcho: redirEcho!, redirReset: redirReset!, redirStall: redirStall!, redirHole: redirHole!, cat: cat!, script: script!, resetTarget: resetTarget!, stallTarget: stallTarget!, holeTarget: holeTarget! };
  // Targets: one that resets every connection it accepts, one that never reads, one that never accepts.
  const resets = await backend((s) => s.resetAndDestroy(), '127.0.0.1', p.resetTarget);
  const stalls = await backend((s) => {
    s.pause();
    s.once('end', () => s.end());
    stalled.add(s);
    s.once('close', () => stalled.delete(s));
  }, '127.0.0.1', p.stallTarget);
  const hole = await blackhole(p.holeTarget);
  closers.push(() => resets.close(), () => stalls.close(), () => hole.close());
  d = await startDaemon(({ dir, log }) => `${tcpmuxHead(log, p.tcpmux, { success: 'PID HOST EXIT' })}
${classicServices({ echo: p.echo, discard: p.discard, daytime: p.daytime, time: p.time, chargen: p.chargen })}
${service('echo', ['id = mux-echo', 'type = TCPMUXPLUS UNLISTED INTERNAL', 'socket_type = stream', 'protocol = tcp', 'wait = no'])}
${service('muxcat', ['type = TCPMUX UNLISTED', 'socket_type = stream', 'protocol = tcp', 'wait = no', 'user = nobody', 'server = /bin/cat'])}
${internal('xadmin', p.xadmin)}${internal('servers', p.servers)}${internal('services', p.services)}
${redirect('redir-echo', p.redirEcho, p.echo)}${redirect('redir-reset', p.redirReset, p.resetTarget)}
${redirect('redir-stall', p.redirStall, p.stallTarget)}${redirect('redir-hole', p.redirHole, p.holeTarget)}
${streamService('cat', p.cat, '/bin/cat', ['bind = 127.0.0.1'])}
${streamService('script', p.script, '/bin/sh', ['bind = 127.0.0.1', `server_args = ${dir}/reply.sh`, `banner = ${dir}/banner.txt`], 'root')}
`, { files: { 'reply.sh': 'read line\nprintf "got %s\\n" "$line"\n', 'banner.txt': `${'banner line\n'.repeat(4096)}` } });
  pid = d.child.pid!;
  await round(WARM_UP);
  await quiet();
  await probeAll(seeded(WARM_UP));
  baseline = { rss: rssBytes(pid), fds: openDescriptors(pid) };
});
after(async () => {
  await d?.stop();
  for (const close of closers) await close();
});

// ---------------------------------------------------------------------------------------------
// The hostile clients. Each is bounded in time, and checks what the daemon answered where the
// answer is defined.

type Ending = 'fin' | 'close' | 'reset';

/**
 * Connect, do `what`, then end the connection in one of `endings` (a FIN with the reading side
 * left open, a full close, a reset) and wait for its close.
 */
async function session(port: number, rng: Rng, what: (c: HostileClient) => Promise<void> | void, endings: readonly Ending[], keep?: number): Promise<HostileClient> {
  const c = await hostileClient(port, { keep });
  await what(c);
  const ending = rng.pick(endings);
  if (ending === 'reset') c.reset();
  else if (ending === 'close') c.socket.destroy();
  else c.socket.end();
  await c.closed();
  return c;
}

const ANY_END: readonly Ending[] = ['fin', 'close', 'reset'];

/** A request and tcpmux's whole answer to it (the client sends nothing more), as xinetd's. */
const ODD_REQUESTS: readonly (readonly [Buffer, Buffer])[] = [
  [Buffer.from('echo\0junk\r\n', 'latin1'), GO], // the name ends at the NUL: echo, then the client's EOF
  [Buffer.from('echo\r', 'latin1'), Buffer.alloc(0)], // CR only
  [Buffer.from('echo\n', 'latin1'), Buffer.alloc(0)],
  [Buffer.from('\r\n', 'latin1'), Buffer.alloc(0)],
  [Buffer.from('echo\r\nmore', 'latin1'), Buffer.alloc(0)], // bytes after the request in its read
  [Buffer.from('\r\r\r\n', 'latin1'), NOT_FOUND],
  [Buffer.from([0xff, 0xfe, 0xfd, 0x0d, 0x0a]), NOT_FOUND], // invalid UTF-8
  [Buffer.from([0x65, 0xc3, 0x28, 0x63, 0x68, 0x6f, 0x0d, 0x0a]), NOT_FOUND],
  [Buffer.from('\0\r\n', 'latin1'), NOT_FOUND],
  ...['help', 'HELP', 'Help', 'daytime', 'chargen', 'xadmin', 'tcpmux', 'mux-echo', 'cat', 'redir-echo'].map((name) => [Buffer.from(`${name}\r\n`), NOT_FOUND] as const),
];

/** The hostile clients a round draws from. */
const HOSTILE: Record<string, (rng: Rng) => Promise<void>> = {
  async tcpmuxRandomBytes(rng) {
    await session(p.tcpmux, rng, (c) => void c.socket.write(rng.bytes(rng.int(1, 4096))), ANY_END);
  },
  async tcpmuxHugeLine(rng) {
    const c = await hostileClient(p.tcpmux);
    c.socket.write(Buffer.alloc(1 << 20, 0x61));
    if (rng.int(0, 1)) c.socket.write('\r\n');
    await c.closed();
    assert.equal(c.count(), 0, 'a 1 MB request is closed without a word');
  },
  async tcpmuxOddRequest(rng) {
    const [request, answer] = rng.pick(ODD_REQUESTS);
    const c = await hostileClient(p.tcpmux);
    c.socket.end(request);
    await c.closed();
    assert.deepEqual(c.received(), answer, `tcpmux answer to ${JSON.stringify(request.toString('latin1'))}`);
  },
  async tcpmuxCaseVariant(rng) {
    const name = [...'echo'].map((ch) => (rng.int(0, 1) ? ch.toUpperCase() : ch)).join('');
    const payload = rng.bytes(rng.int(0, 8192));
    const c = await hostileClient(p.tcpmux);
    c.socket.write(`${name}\r\n`);
    await c.atLeast(GO.length);
    c.socket.end(payload);
    await c.closed();
    assert.deepEqual(c.received(), Buffer.concat([GO, payload]));
  },
  async tcpmuxResetMidLine(rng) {
    const c = await hostileClient(p.tcpmux);
    c.socket.write('muxc'.slice(0, rng.int(1, 4)));
    c.reset();
  },
  async tcpmuxNamedThenReset(rng) {
    const c = await hostileClient(p.tcpmux);
    c.socket.write(rng.pick(['MuxCat\r\n', 'ECHO\r\n']));
    c.socket.write(rng.bytes(rng.int(1, 65536)));
    c.reset();
  },
  async xadminRandomCommands(rng) {
    const words = ['help', 'show run', 'show avail', 'SHOW   AVAIL', 'bogus', '', 'show', '\0\xff', 'show run\r'];
    const lines = Array.from({ length: rng.int(1, 30) }, () => (rng.int(0, 4) ? rng.pick(words) : rng.bytes(rng.int(0, 200)).toString('latin1').replace(/\n/g, '')));
    const c = await hostileClient(p.xadmin);
    c.socket.end(Buffer.from(`${lines.join(rng.int(0, 1) ? '\n' : '\r\n')}\nbye\n`, 'latin1'));
    await c.closed();
    const text = c.received().toString('latin1');
    assert.ok(text.startsWith('> ') && text.endsWith('bye\n'), JSON.stringify(text.slice(-200)));
  },
  async xadminHugeLine(rng) {
    const c = await hostileClient(p.xadmin);
    await c.atLeast(2);
    c.socket.write(Buffer.alloc(rng.int(1025, 1 << 20), 0x61));
    if (rng.int(0, 1)) c.socket.write('\nhelp\n');
    await c.closed();
    assert.equal(c.received().toString(), '> ', 'a line over 1024 bytes closes the session');
  },
  async xadminResetMidAnswer(rng) {
    const c = await hostileClient(p.xadmin);
    c.socket.write('help\nshow avail\nshow run\n'.repeat(rng.int(1, 2000)));
    await c.atLeast(rng.int(1, 4096));
    c.reset();
  },
  async echoPayload(rng) {
    const payload = rng.bytes(rng.pick([0, 1, rng.int(2, 4096), rng.int(4096, 300_000)]));
    const c = await hostileClient(p.echo, { keep: payload.length });
    // Half-close, then keep reading: the whole payload comes back.
    c.socket.end(payload);
    await c.closed();
    assert.ok(c.received().equals(payload), `echo returned ${c.count()} of ${payload.length} bytes`);
  },
  async echoResetMidStream(rng) {
    await session(p.echo, rng, async (c) => {
      const size = rng.int(1, 1 << 20);
      c.socket.write(rng.bytes(size));
      await c.atLeast(Math.min(size, rng.int(0, 65536)));
    }, ['reset']);
  },
  async discardPayload(rng) {
    const c = await session(p.discard, rng, (c) => void c.socket.write(rng.bytes(rng.int(0, 1 << 20))), ANY_END);
    assert.equal(c.count(), 0);
  },
  async shortAnswerReset(rng) {
    const c = await hostileClient(rng.pick([p.daytime, p.time]));
    c.reset();
  },
  async shortAnswerHalfClose(rng) {
    const daytime = rng.int(0, 1) === 1;
    const c = await hostileClient(daytime ? p.daytime : p.time);
    c.socket.end(rng.bytes(rng.int(0, 100)));
    await c.closed();
    if (daytime) assert.match(c.received().toString('latin1'), DAYTIME);
    else assert.equal(c.count(), 4);
  },
  async chargenPartial(rng) {
    await session(p.chargen, rng, async (c) => {
      if (rng.int(0, 1)) c.socket.end(); // half-close, keep reading
      await c.atLeast(rng.int(1, 256 * 1024));
    }, ['close', 'reset'], 4096);
  },
  /** Replies are not checked here: beyond 64 datagrams in flight per service, the daemon drops. */
  async datagrams(rng) {
    const socket = await udpSocket();
    try {
      for (let i = rng.int(1, 8); i > 0; i--) {
        const size = rng.pick([0, 1, 65507, rng.int(2, 4000)]);
        const port = rng.pick([p.echo, p.discard, p.daytime, p.time, p.chargen]);
        socket.send(rng.bytes(size), port, '127.0.0.1');
      }
    } finally {
      socket.close();
    }
  },
  async redirectPayload(rng) {
    const payload = rng.bytes(rng.int(0, 300_000));
    const c = await hostileClient(p.redirEcho, { keep: payload.length });
    c.socket.end(payload);
    await c.closed();
    assert.ok(c.received().equals(payload), `redirect returned ${c.count()} of ${payload.length} bytes`);
  },
  async redirectToResettingTarget(rng) {
    const c = await hostileClient(p.redirReset);
    c.socket.write(rng.bytes(rng.int(0, 65536)));
    await c.closed();
  },
  async redirectResetWhileConnecting(rng) {
    const c = await hostileClient(rng.pick([p.redirHole, p.redirEcho]));
    c.reset();
  },
  async spawnedSendThenReset(rng) {
    const c = await hostileClient(rng.pick([p.cat, p.script]));
    c.socket.write(rng.bytes(rng.int(1, 200_000)));
    c.reset();
  },
  async bannerThenGone(rng) {
    const c = await hostileClient(p.script);
    await c.atLeast(rng.int(0, 4096));
    if (rng.int(0, 1)) return c.reset();
    c.socket.end('line\n');
    await c.closed();
    assert.match(c.received().toString(), /^(banner line\n){4096}got line\n$/);
  },
};

/** FLOOD_MIB MiB of `chunk` (1 MiB), queued at once: what the kernel does not take stays queued. */
function flood(c: HostileClient, chunk: Buffer): void {
  for (let i = 0; i < FLOOD_MIB; i++) c.socket.write(chunk);
}

/** Clients held through a round: the checks of what they did run once the others are done. */
async function holders(rng: Rng): Promise<{ release: () => void }> {
  // tcpmux waits for a request as long as the client stays connected, as xinetd's child does.
  const silent = await Promise.all(Array.from({ length: 5 }, () => hostileClient(p.tcpmux)));
  // An xadmin client pipelining commands it never reads the answers of, and one to a redirect
  // target that never reads: both must stall in the kernel, the daemon buffering nothing.
  const admin = await hostileClient(p.xadmin);
  admin.socket.pause();
  flood(admin, Buffer.from('help\nshow avail\n'.repeat(65536)));
  const flooder = await hostileClient(p.redirStall);
  flood(flooder, rng.bytes(1 << 20));
  return {
    /** Check what the held clients saw, then let them go (whatever the checks found). */
    release() {
      const grown = rssBytes(pid) - baseline.rss;
      try {
        for (const c of silent) assert.ok(!c.isClosed(), 'a silent tcpmux client is waited for');
        for (const [what, c] of [['xadmin', admin], ['redirect', flooder]] as const) {
          assert.ok(c.socket.writableLength > 0, `the ${what} flood did not stall: all ${FLOOD_MIB} MiB were taken`);
          assert.ok(!c.isClosed(), `the ${what} flood client is still connected`);
        }
        assert.ok(baseline.rss === 0 || grown < RSS_ALLOWANCE, `daemon RSS grew by ${grown} bytes while two clients flooded without reading`);
      } finally {
        for (const c of [...silent, admin, flooder]) c.reset();
        // A target that never reads holds its session even after the client reset, as in xinetd
        // (whose child blocks in write()): the daemon learns of the reset once it reads the client
        // again, when the target reads (the kernel reports the reset after unread data as an EOF,
        // passed on to the target as a half-close, which it answers by closing).
        for (const s of stalled) s.resume();
      }
    },
  };
}

/** Thousands of quick connects over the rounds: tcpmux, then a FIN or an RST at once. */
async function quickConnects(rng: Rng): Promise<void> {
  const jobs = Array.from({ length: QUICK }, () => async () => {
    const c = await hostileClient(rng.pick([p.tcpmux, p.tcpmux, p.echo, p.chargen, p.daytime]));
    // A FIN alone would leave chargen writing to a client still reading: closed or reset.
    if (rng.int(0, 1)) c.reset();
    else c.socket.destroy();
  });
  await pool(64, jobs);
}

async function round(seed: number): Promise<void> {
  const rng = seeded(seed);
  const held = await holders(rng);
  const names = Object.keys(HOSTILE);
  const jobs = Array.from({ length: CLIENTS }, (_, i) => {
    const name = rng.pick(names);
    const fork = seeded(seed + i + 1);
    return () => HOSTILE[name]!(fork).catch((error: Error) => {
      throw new Error(`seed ${seed.toString(16)} client ${i} (${name}): ${error.message}`);
    });
  });
  // The first failure is reported; the held clients are let go in any case.
  const failure = await Promise.all([pool(WIDTH, jobs), quickConnects(rng)]).then(() => undefined, (error: unknown) => error);
  try {
    held.release();
  } finally {
    if (failure) throw failure;
  }
}

// ---------------------------------------------------------------------------------------------
// The properties checked after each round.

/**
 * Once the clients are gone, no session is left running (servers lists nothing: it does not list
 * itself) and every START has its EXIT; then the next START of a service is a probe's.
 */
async function quiet(): Promise<void> {
  let running = '';
  await waitFor('no session left', async () => ((running = (await exchange(p.servers)).toString()) === '' ? true : undefined)).catch(() => assert.fail(`servers still lists\n${running}`));
  await balancedRecords();
}

/** Every service gives its exact answer (the daemon being quiet). */
async function probeAll(rng: Rng): Promise<void> {
  assert.equal((await exchange(p.servers)).toString(), '', 'servers');
  const payload = rng.bytes(5000);
  assert.ok((await exchange(p.echo, payload)).equals(payload), 'echo');
  assert.equal((await exchange(p.discard, payload)).length, 0, 'discard');
  assert.match((await exchange(p.daytime)).toString('latin1'), DAYTIME, 'daytime');
  const time = await exchange(p.time);
  assert.equal(time.length, 4, 'time');
  assert.ok(Math.abs(time.readUInt32BE(0) - (Math.floor(Date.now() / 1000) + 2208988800)) < 5, 'time');
  const charged = await hostileClient(p.chargen, { keep: 74 * 3 });
  await charged.atLeast(74 * 3);
  charged.reset();
  assert.match(charged.received().toString('latin1'), /^([!-}]{72}\r\n){3}$/, 'chargen');

  const small = rng.bytes(100);
  assert.ok((await datagram(p.echo, small)).equals(small), 'echo datagram');
  assert.equal((await datagram(p.echo, Buffer.alloc(0))).length, 0, 'echo: an empty datagram back');
  const largest = rng.bytes(65507);
  assert.ok((await datagram(p.echo, largest)).equals(largest.subarray(0, 2048)), 'echo: 2048 bytes of the largest datagram');
  assert.match((await datagram(p.daytime, 'x')).toString('latin1'), DAYTIME, 'daytime datagram');
  assert.equal((await datagram(p.time, 'x')).length, 4, 'time datagram');
  assert.equal((await datagram(p.chargen, 'x')).length, 1024, 'chargen datagram');
  await sendDatagram(p.discard, small);

  const mux = await hostileClient(p.tcpmux);
  mux.socket.write('ECHO\r\n');
  await mux.atLeast(GO.length);
  mux.socket.end('through tcpmux');
  await mux.closed();
  assert.equal(mux.received().toString('latin1'), `${GO.toString('latin1')}through tcpmux`, 'tcpmux');
  // TCPMUX: the daemon writes nothing, the server answers; the request must be read on its own.
  const started = () => readFileSync(d.serviceLog, 'latin1').split('\n').filter((l) => l.includes('START: muxcat ')).length;
  const before = started();
  const cat = await hostileClient(p.tcpmux);
  cat.socket.write('muxcat\r\n');
  await waitFor('muxcat to start', () => (started() > before ? true : undefined), { file: d.serviceLog });
  cat.socket.end('through muxcat');
  await cat.closed();
  assert.equal(cat.received().toString(), 'through muxcat', 'muxcat');

  const admin = (await exchange(p.xadmin, 'show avail\nbye\n')).toString();
  assert.match(admin, new RegExp(`^(> )?echo tcp ${p.echo}$`, 'm'), 'xadmin');
  assert.ok(admin.endsWith('bye\n'), 'xadmin');
  assert.match((await exchange(p.services)).toString(), new RegExp(`^redir-echo tcp ${p.redirEcho}$`, 'm'), 'services');
  assert.ok((await exchange(p.redirEcho, payload)).equals(payload), 'redirect');
  assert.ok((await exchange(p.cat, payload)).equals(payload), 'cat');
  assert.match((await exchange(p.script, 'probe\n')).toString(), /got probe\n$/, 'script');
}

/** Resident memory and descriptors, once back within bounds of `limit` (bounded wait). */
async function settled(limit: { rss: number; fds: number }): Promise<{ rss: number; fds: number }> {
  let last = { rss: 0, fds: 0 };
  try {
    return await waitFor('the daemon to come back to its baseline', () => {
      last = { rss: rssBytes(pid), fds: openDescriptors(pid) };
      return last.rss < limit.rss + RSS_ALLOWANCE && last.fds <= limit.fds + FD_SLACK ? last : undefined;
    }, { ms: 10_000, everyMs: 25 });
  } catch (error) {
    throw new Error(`${(error as Error).message}: baseline ${JSON.stringify(limit)}, now ${JSON.stringify(last)}`);
  }
}

/** Per id, the START and EXIT records, once they balance (bounded). */
async function balancedRecords(): Promise<Map<string, { start: number; exit: number }>> {
  let counts = new Map<string, { start: number; exit: number }>();
  try {
    return await waitFor('every START with its EXIT', () => {
      counts = new Map();
      for (const line of readFileSync(d.serviceLog, 'latin1').split('\n')) {
        const m = /: (START|EXIT): (\S+) /.exec(line);
        if (!m) continue;
        const c = counts.get(m[2]!) ?? { start: 0, exit: 0 };
        if (m[1] === 'START') c.start++;
        else c.exit++;
        counts.set(m[2]!, c);
      }
      return EXIT_LOGGED.every((id) => counts.get(id)?.start === counts.get(id)?.exit) ? counts : undefined;
    }, { ms: 10_000, file: d.serviceLog });
  } catch (error) {
    throw new Error(`${(error as Error).message}: ${JSON.stringify(Object.fromEntries(counts))}`);
  }
}

for (const seed of SEEDS) {
  test(`round ${seed.toString(16)}: ${CLIENTS} hostile clients and ${QUICK} quick connects leave every service answering and nothing behind`, async (t) => {
    await round(seed);
    assert.ok(alive(pid) && d.child.exitCode === null, 'the daemon is the same process');
    await quiet();
    await probeAll(seeded(seed));
    const now = await settled(baseline);
    const counts = await balancedRecords();
    for (const id of EXIT_LOGGED) assert.ok((counts.get(id)?.start ?? 0) > 0, `${id} was exercised`);
    const messages = readFileSync(d.messages, 'utf8');
    assert.doesNotMatch(d.stderr() + messages, /uncaught|CRITICAL|TypeError|RangeError|ERR_/);
    t.diagnostic(`RSS ${baseline.rss >> 10} -> ${now.rss >> 10} KiB, descriptors ${baseline.fds} -> ${now.fds}`);
  });
}
