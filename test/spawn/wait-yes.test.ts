/**
 * wait = yes: the listening (stream) or bound (dgram) socket itself is the server's fds 0-2,
 * the daemon stops watching it while the server runs and watches again once it exits
 * (reference 11.1). The dgram case runs Debian's tftpd-hpa and tftp client.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';
import { fixture, freePorts, loggingDefaults, pidOf, run, service } from '../helpers/e2e.js';
import { datagram, exchange } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

test('stream wait = yes: the server accepts on the listening socket; the daemon watches again after it exits', async (t) => {
  const [port] = await freePorts(1);
  const d = await startDaemon(({ log }) => [
    loggingDefaults(log),
    service('single', ['type = UNLISTED', 'socket_type = stream', 'protocol = tcp', 'wait = yes', `port = ${port}`, 'user = root',
      `server = ${process.execPath}`, `server_args = ${fixture('accept-on-fd0.mjs')} 3`]),
  ].join('\n'));
  t.after(() => d.stop());

  // The first client wakes the daemon; that server itself accepts the next two.
  const replies: string[] = [];
  for (let i = 0; i < 3; i++) replies.push((await exchange(port!)).toString());
  const pids = replies.map((r) => /^served-by (\d+)\n$/.exec(r)?.[1]);
  assert.ok(pids[0], replies.join(''));
  assert.deepEqual(pids, [pids[0], pids[0], pids[0]], 'one server served all three clients');
  const start = await d.waitForLog(/START: single pid=\d+/);
  assert.equal(String(pidOf(start)), pids[0]);
  // xinetd has no client address for a stream wait = yes request.
  assert.match(start, /from=<no address>$/);

  await d.waitForLog(new RegExp(`EXIT: single status=0 pid=${pids[0]}$`));
  const fourth = /^served-by (\d+)\n$/.exec((await exchange(port!)).toString())?.[1];
  assert.ok(fourth);
  assert.notEqual(fourth, pids[0], 'a new server after the first exited');
  const starts = (await d.logLines()).filter((l) => /START: single /.test(l));
  assert.equal(starts.length, 2, starts.join('\n'));
});

test('stream wait = yes: REMOTE_HOST is `<no address>`, as xinetd sets it', async (t) => {
  const [port] = await freePorts(1);
  const d = await startDaemon(({ log }) => [
    loggingDefaults(log),
    service('single', ['type = UNLISTED', 'socket_type = stream', 'protocol = tcp', 'wait = yes', `port = ${port}`, 'user = root',
      `server = ${process.execPath}`, `server_args = ${fixture('accept-on-fd0.mjs')} 1 env`]),
  ].join('\n'));
  t.after(() => d.stop());
  assert.match((await exchange(port!)).toString(), /^served-by \d+ REMOTE_HOST=<no address>\n$/);
});

test('dgram wait = yes: the bound UDP socket, with the datagram still queued, goes to the server', async (t) => {
  const [port] = await freePorts(1);
  const d = await startDaemon(({ log }) => [
    loggingDefaults(log),
    service('udp-reply', ['type = UNLISTED', 'socket_type = dgram', 'protocol = udp', 'wait = yes', `port = ${port}`, 'user = nobody',
      `server = ${fixture('udp-reply.sh')}`]),
  ].join('\n'));
  t.after(() => d.stop());
  const first = (await datagram(port!, 'one')).toString();
  assert.match(first, /^reply \d+ one$/);
  const start = await d.waitForLog(/START: udp-reply pid=\d+/);
  assert.match(start, /from=::ffff:127\.0\.0\.1$/);
  await d.waitForLog(/EXIT: udp-reply status=0/);
  const second = (await datagram(port!, 'two', { host: '::1' })).toString();
  assert.match(second, /^reply \d+ two$/);
  assert.notEqual(second.split(' ')[1], first.split(' ')[1]);
  assert.match(await d.waitForLog(/START: udp-reply pid=\d+ from=::1$/), /from=::1$/);
});

test('dgram wait = yes with Debian tftpd-hpa: the tftp client fetches a file through xinetd-ts, twice', async (t) => {
  for (const program of ['/usr/sbin/in.tftpd', '/usr/bin/tftp']) {
    assert.ok(existsSync(program), `${program} is missing: apt-get install -y tftpd-hpa tftp-hpa`);
  }
  const [port] = await freePorts(1);
  const d = await startDaemon(({ dir, log }) => {
    mkdirSync(join(dir, 'root'));
    writeFileSync(join(dir, 'root', 'hello.txt'), 'hello through xinetd-ts\n'.repeat(100));
    // -t 1: the server exits 1 s after its last request instead of 15 minutes.
    return [
      loggingDefaults(log),
      service('tftp', ['type = UNLISTED', 'socket_type = dgram', 'protocol = udp', 'wait = yes', `port = ${port}`, 'user = root',
        'server = /usr/sbin/in.tftpd', `server_args = -t 1 -s ${join(dir, 'root')}`]),
    ].join('\n');
  });
  t.after(() => d.stop());
  const expected = readFileSync(join(d.dir, 'root', 'hello.txt'), 'utf8');
  for (let round = 1; round <= 2; round++) {
    const cwd = join(d.dir, `client${round}`);
    mkdirSync(cwd);
    const r = await run('/usr/bin/tftp', ['127.0.0.1', String(port), '-c', 'get', 'hello.txt'], { cwd, ms: 10_000 });
    assert.equal(r.code, 0, `tftp exited ${r.code}: ${r.stdout} ${r.stderr}`);
    assert.equal(readFileSync(join(cwd, 'hello.txt'), 'utf8'), expected);
    // Wait for this server to end so the next round is served by a new one.
    await waitFor(`EXIT number ${round}`, async () => ((await d.logLines()).filter((l) => /EXIT: tftp /.test(l)).length >= round ? true : undefined), { ms: 10_000 });
  }
  const starts = (await d.logLines()).filter((l) => /START: tftp pid=\d+ from=::ffff:127\.0\.0\.1$/.test(l));
  assert.equal(starts.length, 2);
});
