import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { tcpmuxHead } from '../helpers/internal-services.js';
import { exchange, freePort } from '../helpers/net.js';

// Expected bytes are what xinetd 2.3.15 sent on the same configuration: a service reached
// through tcpmux never gets its own `banner` (tcpmux did the accept and sent its own), but gets
// its `banner_success` / `banner_fail`, after the `+Go\r\n\0` of TCPMUXPLUS.

let d: RunningDaemon;
let port = 0;

const banners = (dir: string, prefix: string) => `\tbanner = ${dir}/${prefix}-banner\n\tbanner_success = ${dir}/${prefix}-ok\n\tbanner_fail = ${dir}/${prefix}-fail\n`;

function muxService(dir: string, name: string, type: string, server: string, args: string, extra = ''): string {
  return `service ${name}\n{\n\ttype = ${type} UNLISTED\n\tsocket_type = stream\n\tprotocol = tcp\n\twait = no\n\tuser = root\n` +
    `\tserver = ${server}\n\tserver_args = ${args}\n${banners(dir, 'mp')}${extra}}\n`;
}

before(async () => {
  port = await freePort();
  d = await startDaemon(({ dir, log }) => `${tcpmuxHead(log, port, { extra: banners(dir, 'mux') })}` +
    muxService(dir, 'mp', 'TCPMUXPLUS', '/bin/echo', 'MUXSERVER') +
    muxService(dir, 'mpno', 'TCPMUXPLUS', '/bin/echo', 'MUXSERVER', '\tonly_from = 10.9.9.9\n') +
    muxService(dir, 'pl', 'TCPMUX', '/usr/bin/printf', '+ok\\r\\nPLAINSERVER\\n') +
    muxService(dir, 'plno', 'TCPMUX', '/usr/bin/printf', '+ok\\r\\nPLAINSERVER\\n', '\tonly_from = 10.9.9.9\n'), {
    files: {
      'mux-banner': 'MUX-BANNER\r\n', 'mux-ok': 'MUX-OK\r\n', 'mux-fail': 'MUX-FAIL\r\n',
      'mp-banner': 'MP-BANNER\r\n', 'mp-ok': 'MP-OK\r\n', 'mp-fail': 'MP-FAIL\r\n',
    },
  });
});
after(() => d.stop());

/** Everything the client receives after sending `NAME\r\n`, up to the daemon's or server's close. */
const through = async (name: string) => (await exchange(port, `${name}\r\n`, { endAfterSend: false, ms: 10_000 })).toString('latin1');

test('TCPMUXPLUS admitted: tcpmux\'s banners, `+Go\\r\\n\\0`, banner_success, the server; no banner of its own', async () => {
  assert.equal(await through('mp'), 'MUX-BANNER\r\nMUX-OK\r\n+Go\r\n\0MP-OK\r\nMUXSERVER\n');
});

test('TCPMUXPLUS refused: banner_fail after `+Go\\r\\n\\0`; no banner of its own', async () => {
  assert.equal(await through('mpno'), 'MUX-BANNER\r\nMUX-OK\r\n+Go\r\n\0MP-FAIL\r\n');
});

test('TCPMUX admitted: banner_success before the server\'s own `+` reply; no banner of its own', async () => {
  assert.equal(await through('pl'), 'MUX-BANNER\r\nMUX-OK\r\nMP-OK\r\n+ok\r\nPLAINSERVER\n');
});

test('TCPMUX refused: tcpmux\'s banners, then banner_fail', async () => {
  assert.equal(await through('plno'), 'MUX-BANNER\r\nMUX-OK\r\nMP-FAIL\r\n');
});
