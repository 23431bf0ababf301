import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { connect, readToEnd, tcpmuxHead } from '../helpers/internal-services.js';
import { fixture } from '../helpers/e2e.js';
import { exchange, freePort } from '../helpers/net.js';
import { readLines, waitFor } from '../helpers/wait.js';

// Edge cases of tcpmux compared side by side with xinetd 2.3.15 on loopback.

let d: RunningDaemon;
let port = 0;

const muxService = (name: string, type: string, extra = '') =>
  `service ${name}\n{\n\ttype = ${type} UNLISTED\n\tsocket_type = stream\n\tprotocol = tcp\n\twait = no\n\tuser = root\n\tserver = /bin/cat\n${extra}}\n`;

before(async () => {
  port = await freePort();
  d = await startDaemon(({ log }) => `${tcpmuxHead(log, port, { success: 'PID HOST EXIT', extra: '\tinstances = 1\n' })}${muxService('catter', 'TCPMUX')}${muxService('pluscat', 'TCPMUXPLUS')}${muxService('refused', 'TCPMUXPLUS', '\tonly_from = 10.9.9.9\n')}`);
});
after(() => d.stop());

/**
 * Name a service; once `served` resolves (the request has been read: xinetd reads it with one
 * read(), so the body must not share it), send `body`, half-close, and read until the close.
 */
async function through(request: string, body: string, served: () => Promise<unknown>): Promise<string> {
  const socket = await connect(port);
  const reply = readToEnd(socket);
  socket.write(request);
  await served();
  socket.end(body);
  return (await reply).toString('latin1');
}
const startCount = async (id: string) => (await d.logLines()).filter((l) => l.includes(`START: ${id} `)).length;
const nthStart = (id: string, n: number) => () => waitFor(`START ${n} of ${id}`, async () => ((await startCount(id)) >= n ? true : undefined), { file: d.serviceLog });

test('a client handed to a spawned server ends tcpmux\'s own session: EXIT logged, its instance freed for the next client', async () => {
  assert.equal(await through('catter\r\n', 'one', nthStart('catter', 1)), 'one');
  await d.waitForLog(/EXIT: tcpmux status=0 pid=0$/);
  // instances = 1: a tcpmux session that never ended would refuse this one (service_limit).
  assert.equal(await through('catter\r\n', 'two', nthStart('catter', 2)), 'two');
  const lines = await d.logLines();
  assert.equal(lines.filter((l) => /START: tcpmux /.test(l)).length, 2);
  assert.ok(!lines.some((l) => /FAIL: tcpmux/.test(l)), lines.join('\n'));
  await d.waitForLog(/EXIT: catter status=0 pid=[1-9]\d*$/);
});

test('the requested name ends at a NUL byte, as in xinetd (a C string)', async () => {
  assert.equal(await through('pluscat\0ignored\r\n', 'nul', nthStart('pluscat', 1)), '+Go\r\n\0nul');
});

test('TCPMUXPLUS refused without banner_fail: no `+Go`, just the close; FAIL logged', async () => {
  assert.equal((await exchange(port, 'refused\r\n', { endAfterSend: false })).length, 0);
  await d.waitForLog(/FAIL: refused address from=127\.0\.0\.1$/);
});

test('a client that closes before sending a request: `read failed`, as xinetd logs it', async () => {
  assert.equal((await exchange(port, '')).length, 0);
  await d.waitForMessage(/ERROR: read failed$/);
});

test('TCPMUX services have no socket: not counted in `Started working`', async () => {
  await d.waitForMessage(/NOTICE: Started working: 1 available service$/);
});

test('a client that half-closes right after its request still reaches a spawned TCPMUX / TCPMUXPLUS server, also on a daemon\'s first connections', async (t) => {
  // The client's EOF arrives with the request; Node then ends the daemon's side of the socket
  // while the start is under way (a launcher still starting, `+Go` still being written), and
  // the launcher got the command without the connection. Fresh daemon: its first connections.
  const fresh = await freePort();
  const spoken = (name: string, type: string) =>
    `service ${name}\n{\n\ttype = ${type} UNLISTED\n\tsocket_type = stream\n\tprotocol = tcp\n\twait = no\n\tuser = nobody\n\tserver = ${fixture('args.sh')}\n\tserver_args = ${name}\n}\n`;
  const f = await startDaemon(({ log }) => `${tcpmuxHead(log, fresh, { success: 'PID HOST EXIT' })}${spoken('plusspoken', 'TCPMUXPLUS')}${spoken('spoken', 'TCPMUX')}`);
  t.after(() => f.stop());
  for (let i = 0; i < 3; i++) {
    assert.equal((await exchange(fresh, 'plusspoken\r\n')).toString('latin1'), '+Go\r\n\0[plusspoken]\n', `round ${i}`);
    assert.equal((await exchange(fresh, 'spoken\r\n')).toString('latin1'), '[spoken]\n', `round ${i}`);
  }
  assert.ok(!(await readLines(f.messages)).some((l) => l.includes('launch failed')));
});
