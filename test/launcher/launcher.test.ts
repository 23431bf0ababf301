/**
 * xinetd-ts-launcher with real loopback sockets and real processes. Needs root, a built
 * launcher (node scripts/build-native.mjs) and Debian's tftpd-hpa + tftp-hpa.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Launcher, type RunningServer, type PeerAddress } from '../../core/launcher/launcher.js';
import type { LaunchPlan } from '../../core/launcher/launch-plan.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = join(root, 'test', 'fixtures', 'servers');
const PATH_ENV = `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`;

let launcher: Launcher;
const launcherErrors: Error[] = [];

before(async () => {
  launcher = await Launcher.start();
  launcher.on('error', (e: Error) => launcherErrors.push(e));
});

after(async () => {
  await launcher.close();
});

/** Reject if `p` takes longer than `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

/** A loopback server handing its accepted (paused) sockets to `onConn`. */
async function listener(onConn: (s: net.Socket) => void): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer({ pauseOnConnect: true }, onConn);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** Connect, optionally send `input` (then half-close), and collect everything until EOF. */
function talk(port: number, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    c.on('error', reject);
    c.on('end', () => {
      c.destroy();
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    if (input !== undefined) c.on('connect', () => c.end(input));
  });
}

/** Run one server per connection to a fresh listener; returns its output and exit. */
async function runOnce(plan: LaunchPlan, input?: string) {
  let started!: (s: RunningServer) => void;
  let failed!: (e: Error) => void;
  const serverP = new Promise<RunningServer>((res, rej) => {
    started = res;
    failed = rej;
  });
  const { server, port } = await listener((s) => {
    launcher.launchWithSocket(s, plan).then(started, failed);
  });
  try {
    const out = talk(port, input);
    const srv = await within(serverP, 5000, 'server start');
    const exit = await within(srv.exited, 10000, 'server exit');
    return { out: await within(out, 5000, 'client EOF'), exit, pid: srv.pid };
  } finally {
    server.close();
  }
}

function keyValues(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(' ');
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

test('accepted socket is fds 0, 1, 2 in blocking mode and nothing else leaks', { timeout: 20000 }, async () => {
  const { out, exit } = await runOnce({ path: join(fixtures, 'fds.sh'), argv: ['fds.sh'], env: [PATH_ENV] });
  assert.deepEqual(exit, { status: 0 });
  const kv = keyValues(out);
  const flags = parseInt(kv.get('fd0-flags') ?? 'x', 8);
  assert.ok(!Number.isNaN(flags), out);
  assert.equal(flags & 0o4000, 0, `O_NONBLOCK must be clear: ${out}`);
  const link = kv.get('fd0-link');
  assert.match(link ?? '', /^socket:\[\d+\]$/);
  assert.equal(kv.get('fd1-link'), link);
  assert.equal(kv.get('fd2-link'), link);
  const listing = out.split('listing\n')[1];
  const fds = [...listing.matchAll(/ (\d+) -> (.*)$/gm)].map((m) => [Number(m[1]), m[2]] as const);
  const others = fds.filter(([fd]) => fd > 2);
  // only ls's own directory descriptor may exist beyond 0, 1, 2
  assert.equal(others.length, 1, listing);
  assert.match(others[0][1], /^\/proc\/\d+\/fd$/);
  assert.deepEqual(
    fds.filter(([fd]) => fd <= 2).map(([fd]) => fd),
    [0, 1, 2],
  );
});

test('echo round trip through /bin/cat', { timeout: 20000 }, async () => {
  const payload = 'hello\nworld\n'.repeat(1000);
  const { out, exit } = await runOnce({ path: '/bin/cat', argv: ['cat'], env: [] }, payload);
  assert.equal(out, payload);
  assert.deepEqual(exit, { status: 0 });
});

test('argv and environment are passed exactly', { timeout: 20000 }, async () => {
  const args = ['FAKE0', 'two words', 'é ü', '%41%', '', 'a=b', '"q\'uote\\'];
  const sh = await runOnce({
    path: '/bin/sh',
    argv: ['-sh-argv0', '-c', 'cat /proc/$$/cmdline', ...args],
    env: [],
  });
  assert.equal(sh.out, ['-sh-argv0', '-c', 'cat /proc/$$/cmdline', ...args].join('\0') + '\0');
  const env = ['A=1', 'WITH SPACE=x y', 'UNI=ñ', 'EMPTY=', 'REMOTE_HOST=127.0.0.1'];
  const e = await runOnce({ path: '/usr/bin/env', argv: ['env'], env });
  assert.equal(e.out, env.join('\n') + '\n');
  // an empty environment is empty
  const none = await runOnce({ path: '/usr/bin/env', argv: ['env'], env: [] });
  assert.equal(none.out, '');
});

test('credentials, umask, nice, rlimits, session, signals', { timeout: 20000 }, async () => {
  const plan: LaunchPlan = {
    path: join(fixtures, 'ident.sh'),
    argv: ['ident.sh'],
    env: [PATH_ENV],
    uid: 65534,
    gid: 65534,
    groups: [65534, 100],
    umask: 0o027,
    nice: 5,
    rlimits: { nofile: 77, cpu: 20, as: 0 },
  };
  const { out, exit, pid } = await runOnce(plan);
  assert.deepEqual(exit, { status: 0 }, out);
  const kv = keyValues(out);
  assert.equal(kv.get('uid'), '65534');
  assert.equal(kv.get('gid'), '65534');
  assert.deepEqual(kv.get('groups')?.split(' ').sort(), ['100', '65534']);
  assert.equal(kv.get('umask'), '0027');
  assert.equal(kv.get('nofile'), '77');
  assert.equal(kv.get('nofile-hard'), '77');
  assert.equal(kv.get('cpu'), '20');
  assert.equal(kv.get('cwd'), '/');
  const stat = kv.get('stat') ?? '';
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const myNice = Number(readFileSync('/proc/self/stat', 'latin1').split(') ')[1].split(' ')[16]);
  assert.equal(Number(fields[16]), myNice + 5, 'nice (field 19)');
  assert.equal(kv.get('sigmask'), '0000000000000000');
  assert.equal(kv.get('sigign'), '0000000000000000');
  assert.equal(kv.get('sid'), `${pid} pid ${pid}`, 'server leads its own session');

  // groups = yes: initgroups(name, gid)
  const ig = await runOnce({ ...plan, uid: 102, gid: 105, groups: { initgroups: 'tftp' }, nice: undefined });
  const kv2 = keyValues(ig.out);
  assert.equal(kv2.get('uid'), '102');
  assert.deepEqual(kv2.get('groups')?.split(' '), ['105']);
  // setgroups(0): no supplementary groups at all
  const none = await runOnce({ ...plan, groups: [] });
  assert.deepEqual(keyValues(none.out).get('groups'), '65534');
});

test('exec failure is reported with status 0 and the launcher keeps working', { timeout: 20000 }, async () => {
  const { exit } = await runOnce({ path: '/nonexistent/server', argv: ['server'], env: [] });
  assert.deepEqual(exit, { status: 0, execError: 'No such file or directory', errno: 2 });
  const { exit: e2 } = await runOnce({ path: join(fixtures, 'fds.sh'), argv: ['fds.sh'], env: [] });
  assert.equal(e2.execError, undefined);
  assert.equal(e2.status, 0);
  const notExec = await runOnce({ path: '/etc/passwd', argv: ['passwd'], env: [] });
  assert.deepEqual(notExec.exit, { status: 0, execError: 'Permission denied', errno: 13 });
  await launcher.ping();
});

test('exit status, death by signal, kill()', { timeout: 20000 }, async () => {
  const a = await runOnce({ path: '/bin/sh', argv: ['sh', '-c', 'exit 7'], env: [] });
  assert.deepEqual(a.exit, { status: 7 });
  const b = await runOnce({ path: '/bin/sh', argv: ['sh', '-c', 'kill -TERM $$'], env: [] });
  assert.deepEqual(b.exit, { signal: 15 });

  let srvP!: Promise<RunningServer>;
  const { server, port } = await listener((s) => {
    srvP = launcher.launchWithSocket(s, { path: '/bin/sleep', argv: ['sleep', '60'], env: [] });
  });
  const out = talk(port);
  await within(once(server, 'connection'), 5000, 'connection');
  const srv = await within(srvP, 5000, 'start');
  srv.kill('SIGKILL');
  assert.deepEqual(await within(srv.exited, 5000, 'exit'), { signal: 9 });
  await within(out, 5000, 'client EOF');
  srv.kill(); // no-op once ended
  server.close();
  assert.equal(launcher.running, 0);
});

test('bad plans are rejected before reaching the launcher', async () => {
  const { server, port } = await listener(() => undefined);
  const c = net.connect(port, '127.0.0.1');
  const [s] = (await once(server, 'connection')) as [net.Socket];
  await assert.rejects(launcher.launchWithSocket(s, { path: '/bin/true', argv: ['a\0b'], env: [] }), /NUL/);
  await assert.rejects(launcher.launchWithSocket(s, { path: '/bin/true', argv: [], env: [], uid: -1 }), /uid/);
  s.destroy();
  c.destroy();
  server.close();
});

test('wait = yes stream: the server accepts on the listening socket, the daemon accepts nothing', { timeout: 30000 }, async () => {
  const ours = net.createServer();
  let daemonAccepted = 0;
  ours.on('connection', () => daemonAccepted++);
  ours.listen(0, '127.0.0.1');
  await once(ours, 'listening');
  const port = (ours.address() as net.AddressInfo).port;
  const w = launcher.adopt(ours, 'stream');
  await within(once(ours, 'close'), 5000, 'daemon copy closed');

  const readies: (PeerAddress | undefined)[] = [];
  let servers: RunningServer[] = [];
  let refuseNext = false;
  const exits: Promise<unknown>[] = [];
  w.on('ready', (peer: PeerAddress | undefined) => {
    readies.push(peer);
    if (refuseNext) {
      w.refuse();
      return;
    }
    w.launch({ path: process.execPath, argv: ['node', join(fixtures, 'accept-on-fd0.mjs'), '2'], env: [] }).then((s) => {
      servers.push(s);
      exits.push(s.exited);
    });
  });

  // One server handles both connections (it accepts them itself).
  const first = await within(talk(port), 10000, 'first connection');
  const second = await within(talk(port), 10000, 'second connection');
  assert.match(first, /^served-by \d+\n$/);
  assert.equal(second, first);
  assert.equal(readies.length, 1);
  assert.equal(readies[0], undefined, 'stream wait = yes has no address');
  assert.deepEqual(await within(servers[0].exited, 5000, 'server exit'), { status: 0 });
  assert.equal(Number(first.split(' ')[1]), servers[0].pid);

  // Watching resumes after the exit: a refused connection is accepted and closed.
  refuseNext = true;
  const refused = await within(talk(port), 5000, 'refused connection');
  assert.equal(refused, '');
  assert.equal(readies.length, 2);

  // And a third server after that.
  refuseNext = false;
  servers = [];
  const third = await within(talk(port), 10000, 'third connection');
  assert.match(third, /^served-by \d+\n$/);
  servers[0].kill();
  await within(servers[0].exited, 5000, 'third exit');
  assert.equal(daemonAccepted, 0);
  await within(w.release(), 5000, 'release');
  // Every copy is closed: the port refuses connections now.
  await assert.rejects(within(talk(port), 5000, 'after release'), /ECONNREFUSED/);
});

test('dgram wait = yes: in.tftpd -s serves a file to tftp with the datagram still queued', { timeout: 30000 }, async () => {
  for (const bin of ['/usr/sbin/in.tftpd', '/usr/bin/tftp']) {
    assert.ok(existsSync(bin), `${bin} is missing: apt-get install -y tftpd-hpa tftp-hpa`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'xinetd-ts-tftp-'));
  try {
    const content = Buffer.from(Array.from({ length: 3000 }, (_, i) => `line ${i}\n`).join(''));
    writeFileSync(join(dir, 'file.txt'), content);
    chmodSync(dir, 0o755);
    const out = mkdtempSync(join(tmpdir(), 'xinetd-ts-tftpc-'));

    const sock = dgram.createSocket('udp4');
    let daemonGot = 0;
    sock.on('message', () => daemonGot++);
    sock.bind(0, '127.0.0.1');
    await once(sock, 'listening');
    const port = sock.address().port;
    const w = launcher.adopt(sock, 'dgram');
    await within(once(sock, 'close'), 5000, 'daemon copy closed');

    const ready = once(w, 'ready') as Promise<[PeerAddress | undefined]>;
    const client = spawn('/usr/bin/tftp', ['-m', 'binary', '127.0.0.1', String(port), '-c', 'get', 'file.txt', join(out, 'got.txt')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let clientOut = '';
    client.stdout.on('data', (d: Buffer) => (clientOut += d));
    client.stderr.on('data', (d: Buffer) => (clientOut += d));
    const [peer] = await within(ready, 5000, 'ready');
    assert.ok(peer);
    assert.equal(peer.address, '127.0.0.1');
    assert.equal(peer.family, 'IPv4');
    assert.ok(peer.port > 0);
    const srv = await w.launch({
      path: '/usr/sbin/in.tftpd',
      argv: ['in.tftpd', '-t', '1', '-s', dir],
      env: [`REMOTE_HOST=${peer.address}`],
    });
    const [code] = await within(once(client, 'exit'), 15000, 'tftp client');
    assert.equal(code, 0, clientOut);
    assert.deepEqual(readFileSync(join(out, 'got.txt')), content);
    assert.deepEqual(await within(srv.exited, 10000, 'in.tftpd exit'), { status: 0 });
    assert.equal(daemonGot, 0);
    await w.release();
    rmSync(out, { recursive: true, force: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('many concurrent launches all get their exits', { timeout: 60000 }, async () => {
  const N = 200;
  const exits: Promise<unknown>[] = [];
  const { server, port } = await listener((s) => {
    exits.push(
      launcher.launchWithSocket(s, { path: '/bin/sh', argv: ['sh', '-c', 'echo $$'], env: [] }).then((r) => r.exited),
    );
  });
  const outs = await within(Promise.all(Array.from({ length: N }, () => talk(port))), 30000, 'all clients');
  assert.equal(exits.length, N);
  const results = await within(Promise.all(exits), 30000, 'all exits');
  for (const r of results) assert.deepEqual(r, { status: 0 });
  assert.equal(new Set(outs).size, N, 'distinct server pids');
  server.close();
  assert.equal(launcher.running, 0);
});

test('a pool of two launcher processes shares the starts and survives losing one', { timeout: 60000 }, async () => {
  const pool = await Launcher.start({ processes: 2 });
  const errors: Error[] = [];
  pool.on('error', (e: Error) => errors.push(e));
  try {
    assert.equal(pool.launcherPids.length, 2);
    for (const pid of pool.launcherPids) {
      // each in a session of its own (a CPU share of its own under autogroup scheduling)
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      assert.equal(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]), pid, 'launcher is a session leader');
    }
    const N = 40;
    const servers: Promise<RunningServer>[] = [];
    const { server, port } = await listener((s) => {
      servers.push(pool.launchWithSocket(s, { path: '/bin/sh', argv: ['sh', '-c', 'echo $$'], env: [] }));
    });
    const outs = await within(Promise.all(Array.from({ length: N }, () => talk(port))), 30000, 'all clients');
    assert.equal(new Set(outs).size, N, 'distinct server pids');
    const started = await within(Promise.all(servers), 10000, 'all starts');
    for (const r of await within(Promise.all(started.map((x) => x.exited)), 10000, 'all exits')) assert.deepEqual(r, { status: 0 });
    assert.deepEqual(new Set(started.map((x) => x.launcherPid)), new Set(pool.launcherPids), 'both processes started servers');
    assert.equal(pool.running, 0);

    // one process dies: the other keeps starting servers, the dead one is replaced
    const [first, second] = pool.launcherPids;
    const restarted = new Promise<void>((resolve) => pool.once('restart', () => resolve()));
    process.kill(second!, 'SIGKILL');
    const during = await within(talk(port), 10000, 'a client while one process restarts');
    assert.match(during, /^\d+\n$/);
    await within(restarted, 10000, 'restart');
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /died \(signal SIGKILL\)/);
    assert.equal(pool.launcherPids[0], first);
    assert.ok(pool.launcherPids[1] !== undefined && pool.launcherPids[1] !== second);
    await within(pool.ping(), 5000, 'both answer');
    server.close();
  } finally {
    await pool.close();
  }
});

test('a crowded pool queues starts on its first process', { timeout: 60000 }, async () => {
  // A window of a minute makes "recent" independent of this machine's speed; so does a minute
  // for "stalled" (on a loaded host the first process can be silent for 10 ms with starts in flight).
  const pool = await Launcher.start({ processes: 2, recentMs: 60_000, stalledMs: 60_000 });
  const servers: Promise<RunningServer>[] = [];
  let script = 'echo $$; exec sleep 30';
  const { server, port } = await listener((s) => {
    servers.push(pool.launchWithSocket(s, { path: '/bin/sh', argv: ['sh', '-c', script], env: [] }));
  });
  const clients: net.Socket[] = [];
  try {
    // two running servers per process: from now on the pool is crowded
    for (let i = 0; i < 4; i++) {
      const c = net.connect(port, '127.0.0.1');
      clients.push(c);
      await within(once(c, 'data'), 10000, `sleeper ${i}`);
    }
    const sleepers = await within(Promise.all(servers), 10000, 'sleepers started');
    assert.equal(pool.running, 4);
    servers.length = 0;
    script = 'echo $$';
    const outs = await within(Promise.all(Array.from({ length: 8 }, () => talk(port))), 30000, 'crowded clients');
    assert.equal(outs.length, 8);
    const crowded = await within(Promise.all(servers), 10000, 'crowded starts');
    assert.deepEqual(new Set(crowded.map((x) => x.launcherPid)), new Set([pool.launcherPids[0]]), 'all on the first process');
    for (const s of sleepers) s.kill('SIGTERM');
    await within(Promise.all([...sleepers, ...crowded].map((s) => s.exited)), 10000, 'all ended');
  } finally {
    for (const c of clients) c.destroy();
    server.close();
    await pool.close();
  }
});

test('a deep queue of starts goes to the first process; a short one is spread', { timeout: 60000 }, async () => {
  // recentMs 0: no server counts as recently started, only the starts in flight make a queue;
  // stalledMs a minute: sending 40 descriptors in one tick may take longer than 10 ms here.
  const pool = await Launcher.start({ processes: 2, recentMs: 0, stalledMs: 60_000 });
  const TOTAL = 40;
  const accepted: net.Socket[] = [];
  const { server, port } = await listener((s) => accepted.push(s));
  try {
    const outputs = Array.from({ length: TOTAL }, () => talk(port));
    await within((async () => {
      while (accepted.length < TOTAL) await once(server, 'connection');
    })(), 10000, 'every client accepted');
    // All in one tick: no launcher message is read in between, so each start stays in flight.
    const starts = accepted.map((s) => pool.launchWithSocket(s, { path: '/bin/sh', argv: ['sh', '-c', 'echo $$'], env: [] }));
    const started = await within(Promise.all(starts), 20000, 'all started');
    const on = started.map((x) => x.launcherPid);
    const first = pool.launcherPids[0];
    assert.ok(on.slice(0, 16).some((pid) => pid !== first), 'the first starts are spread over both processes');
    assert.deepEqual(new Set(on.slice(16)), new Set([first]), 'from 16 in flight (8 per process) all go to the first');
    const outs = await within(Promise.all(outputs), 20000, 'every client served');
    assert.deepEqual(outs.map((o) => o.trim()), started.map((x) => String(x.pid)));
    await within(Promise.all(started.map((x) => x.exited)), 10000, 'all ended');
  } finally {
    for (const s of accepted) s.destroy();
    server.close();
    await pool.close();
  }
});

test('launcher killed with SIGKILL: detected, restarted, orphans followed, sockets re-adopted', { timeout: 30000 }, async () => {
  // a watched socket that must survive the restart
  const ours = net.createServer();
  ours.listen(0, '127.0.0.1');
  await once(ours, 'listening');
  const wport = (ours.address() as net.AddressInfo).port;
  const w = launcher.adopt(ours, 'stream');
  await within(once(ours, 'close'), 5000, 'daemon copy closed');
  await launcher.ping(); // the keep copy has arrived by now

  // a running server that will be orphaned
  let srvP!: Promise<RunningServer>;
  const { server, port } = await listener((s) => {
    srvP = launcher.launchWithSocket(s, { path: '/bin/sleep', argv: ['sleep', '60'], env: [] });
  });
  const out = talk(port);
  await within(once(server, 'connection'), 5000, 'connection');
  const orphan = await within(srvP, 5000, 'start');

  // the launcher process that started it (the pool has one per core)
  const oldPid = orphan.launcherPid;
  assert.ok(oldPid);
  assert.ok(launcher.launcherPids.includes(oldPid));
  const errorsBefore = launcherErrors.length;
  const restarted = new Promise<void>((resolve) => launcher.once('restart', () => resolve()));
  process.kill(oldPid, 'SIGKILL');
  await within(restarted, 10000, 'restart');
  assert.equal(launcherErrors.length, errorsBefore + 1);
  assert.match(launcherErrors[errorsBefore].message, /died \(signal SIGKILL\)/);
  assert.ok(!launcher.launcherPids.includes(oldPid));

  // the orphan is still killable and its end is observed
  orphan.kill('SIGTERM');
  assert.deepEqual(await within(orphan.exited, 5000, 'orphan exit'), { status: 0, orphaned: true });
  await within(out, 5000, 'client EOF');

  // new launches work
  const { exit, out: o2 } = await runOnce({ path: '/bin/echo', argv: ['echo', 'after-restart'], env: [] });
  assert.deepEqual(exit, { status: 0 });
  assert.equal(o2, 'after-restart\n');

  // the watched socket was handed to the new launcher
  const ready = once(w, 'ready');
  const refused = talk(wport);
  await within(ready, 5000, 'ready after restart');
  w.refuse();
  assert.equal(await within(refused, 5000, 'refused'), '');
  await w.release();
  server.close();
});

test('launcher dies while a wait = yes server runs: no new start until that server ends', { timeout: 30000 }, async () => {
  const ours = net.createServer();
  ours.listen(0, '127.0.0.1');
  await once(ours, 'listening');
  const port = (ours.address() as net.AddressInfo).port;
  const w = launcher.adopt(ours, 'stream');
  await within(once(ours, 'close'), 5000, 'daemon copy closed');
  let readies = 0;
  const started: RunningServer[] = [];
  w.on('ready', () => {
    readies++;
    if (readies > 1) {
      w.refuse();
      return;
    }
    w.launch({ path: process.execPath, argv: ['node', join(fixtures, 'accept-on-fd0.mjs'), '2'], env: [] }).then((s) =>
      started.push(s),
    );
  });
  const first = await within(talk(port), 10000, 'first connection');
  assert.equal(started.length, 1);
  const restarted = new Promise<void>((resolve) => launcher.once('restart', () => resolve()));
  process.kill(launcher.launcherPid!, 'SIGKILL');
  await within(restarted, 10000, 'restart');
  // the orphaned server still owns the socket and serves the next client itself
  const second = await within(talk(port), 10000, 'second connection');
  assert.equal(second, first);
  assert.deepEqual(await within(started[0].exited, 5000, 'orphan exit'), { status: 0, orphaned: true });
  assert.equal(readies, 1);
  // then the new launcher watches the socket again
  const ready = once(w, 'ready');
  const third = talk(port);
  await within(ready, 5000, 'ready after the orphan ended');
  assert.equal(await within(third, 5000, 'refused'), '');
  assert.equal(readies, 2);
  await w.release();
});

test('start fails clearly when the binary is missing', async () => {
  await assert.rejects(Launcher.start({ binary: '/nonexistent/xinetd-ts-launcher' }), /build-native/);
});
