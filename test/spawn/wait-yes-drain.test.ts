/**
 * dgram wait = yes: when the server ends, the datagrams still queued on the socket are
 * discarded before it is watched again (xinetd's drain in svc_postmortem). Without it, a
 * server that exits without reading is started again and again for the same datagram.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { alive, fixture, freePorts, loggingDefaults, pidOf, service } from '../helpers/e2e.js';
import { datagram, sendDatagram, udpReceiveQueue } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

function udpWaitService(name: string, port: number, lines: readonly string[]): string {
  return service(name, ['type = UNLISTED', 'socket_type = dgram', 'protocol = udp', 'wait = yes', `port = ${port}`, ...lines]);
}

async function countLines(d: RunningDaemon, pattern: RegExp): Promise<number> {
  return (await d.logLines()).filter((l) => pattern.test(l)).length;
}

/** Observe the log for `ms`: fails as soon as more than `n` lines match `pattern`. */
async function atMost(d: RunningDaemon, pattern: RegExp, n: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  await waitFor(`${ms} ms with at most ${n} lines matching ${pattern}`, async () => {
    const lines = (await d.logLines()).filter((l) => pattern.test(l));
    if (lines.length > n) throw new Error(`${lines.length} lines match ${pattern}, expected at most ${n}:\n${lines.slice(0, 5).join('\n')}`);
    return Date.now() >= until ? true : undefined;
  }, { ms: ms + 5000, file: d.serviceLog });
}

for (const [how, args, end] of [
  ['exits without reading', 'status 0', 'status=0'],
  ['is killed before reading', 'signal KILL', 'signal=9'],
] as const) {
  test(`dgram wait = yes: a server that ${how} is started once for one datagram, not again and again`, async (t) => {
    const [port] = await freePorts(1);
    const d = await startDaemon(({ log }) => [
      loggingDefaults(log),
      udpWaitService('noread', port!, ['user = root', `server = ${fixture('exit-with.sh')}`, `server_args = ${args}`]),
    ].join('\n'));
    t.after(() => d.stop());

    await sendDatagram(port!, 'one');
    const start = await d.waitForLog(/START: noread pid=\d+/);
    await d.waitForLog(new RegExp(`EXIT: noread ${end} pid=${pidOf(start)}`));
    // Without the drain the same datagram starts a server again within a few ms (~50 a second).
    await atMost(d, /START: noread /, 1, 1500);
    assert.equal(udpReceiveQueue(port!), 0, 'the unread datagram was discarded');

    // The socket is still watched: a new datagram starts exactly one new server.
    await sendDatagram(port!, 'two');
    await waitFor('a second EXIT', async () => ((await countLines(d, /EXIT: noread /)) >= 2 ? true : undefined), { file: d.serviceLog });
    assert.equal(await countLines(d, /START: noread /), 2);
  });
}

test('dgram wait = yes: datagrams queued while the server runs are dropped when it ends; the next one starts a new server', async (t) => {
  const [port] = await freePorts(1);
  const d = await startDaemon(({ log }) => [
    loggingDefaults(log),
    udpWaitService('hold', port!, ['user = nobody', `server = ${fixture('udp-reply-hold.sh')}`]),
  ].join('\n'));
  t.after(() => d.stop());

  const first = /^reply (\d+) first$/.exec((await datagram(port!, 'first')).toString());
  assert.ok(first, 'the first server answered');
  const pid = Number(first[1]);
  t.after(() => {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
  assert.equal(pidOf(await d.waitForLog(/START: hold pid=\d+/)), pid);

  // The server no longer reads: these stay queued on the socket.
  for (const text of ['queued-1', 'queued-2', 'queued-3']) await sendDatagram(port!, text);
  await waitFor('the datagrams queued on the socket', () => (udpReceiveQueue(port!) > 0 ? true : undefined));

  process.kill(pid, 'SIGTERM');
  await d.waitForLog(new RegExp(`EXIT: hold signal=15 pid=${pid}`));
  assert.equal(udpReceiveQueue(port!), 0, 'the queued datagrams were discarded when the server ended');

  // Sent after the EXIT record: not drained, it starts a new server, which reads it (and not a queued one).
  const after = /^reply (\d+) (.*)$/.exec((await datagram(port!, 'after')).toString());
  assert.ok(after);
  assert.equal(after[2], 'after');
  assert.notEqual(Number(after[1]), pid);
  t.after(() => {
    if (alive(Number(after[1]))) process.kill(Number(after[1]), 'SIGKILL');
  });
  assert.equal(pidOf(await d.waitForLog(new RegExp(`START: hold pid=${after[1]} `))), Number(after[1]));
  assert.equal(await countLines(d, /START: hold /), 2);
});
