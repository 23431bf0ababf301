import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { connect, readToEnd, tcpmuxHead } from '../helpers/internal-services.js';
import { exchange, freePort } from '../helpers/net.js';

let d: RunningDaemon;
let port = 0;

before(async () => {
  port = await freePort();
  d = await startDaemon(({ log }) => `${tcpmuxHead(log, port)}service echo
{
	id = mux-echo
	type = TCPMUXPLUS UNLISTED INTERNAL
	socket_type = stream
	protocol = tcp
	wait = no
}
service catter
{
	type = TCPMUX UNLISTED
	socket_type = stream
	protocol = tcp
	wait = no
	user = root
	server = /bin/cat
}
`);
});
after(() => d.stop());

test('TCPMUXPLUS: `+Go\\r\\n` plus a NUL byte, then the named service (name matched case-insensitively)', async () => {
  const socket = await connect(port);
  socket.write('Echo\r\n');
  const first = await new Promise<Buffer>((resolve) => socket.once('data', resolve));
  assert.deepEqual(first, Buffer.from('+Go\r\n\0', 'latin1'));
  socket.end('hello over tcpmux');
  assert.equal((await readToEnd(socket)).toString(), 'hello over tcpmux');
  await d.waitForLog(/START: tcpmux pid=0 from=127\.0\.0\.1$/);
  await d.waitForLog(/START: mux-echo pid=0 from=127\.0\.0\.1$/);
});

test('TCPMUX: nothing is written by the daemon; the server answers', async () => {
  const socket = await connect(port);
  socket.write('catter\r\n');
  await d.waitForLog(/START: catter pid=[1-9]\d* from=127\.0\.0\.1$/);
  socket.end('from cat');
  assert.equal((await readToEnd(socket)).toString(), 'from cat');
});

test('an unknown name (HELP included) gets `-Service name not found\\r\\n` plus a NUL, then close', async () => {
  for (const name of ['nosuch', 'HELP']) {
    assert.deepEqual(await exchange(port, `${name}\r\n`, { endAfterSend: false }), Buffer.from('-Service name not found\r\n\0', 'latin1'));
  }
});

test('a request without CRLF, or of two bytes, is closed silently', async () => {
  assert.equal((await exchange(port, 'echo\n', { endAfterSend: false })).length, 0);
  assert.equal((await exchange(port, '\r\n', { endAfterSend: false })).length, 0);
});
