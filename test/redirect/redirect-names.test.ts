import assert from 'node:assert/strict';
import dns from 'node:dns/promises';
import { mock, test } from 'node:test';
import { resolveTargets } from '../../plugins/redirect/targets.js';
import { startWithHosts } from '../helpers/namespace-daemon.js';
import { exchange, freePort } from '../helpers/net.js';
import { backend } from '../helpers/redirect-backends.js';

/** Replies `got:<everything read>` after the client's EOF. */
const replyAfterEof = (socket: import('node:net').Socket) => {
  let got = '';
  socket.on('data', (c: Buffer) => (got += c.toString()));
  socket.on('end', () => socket.end(`got:${got}`));
};

test('a target name with IPv6 and IPv4 addresses goes to its first IPv4 one, as xinetd (also for an IPv6 service)', async (t) => {
  // The resolver lists ::1 first; only 127.0.0.1 has the backend.
  const b = await backend(replyAfterEof, '127.0.0.1');
  const v4 = await freePort();
  const v6 = await freePort();
  const redirect = (id: string, port: number, bind: string) =>
    `service ${id}\n{\n\ttype = UNLISTED\n\tsocket_type = stream\n\tprotocol = tcp\n\twait = no\n\tport = ${port}\n\tbind = ${bind}\n\tredirect = multi ${b.port}\n}\n`;
  const d = await startWithHosts('127.0.0.1 localhost\n::1 multi\n127.0.0.1 multi\n', ({ log }) =>
    `defaults\n{\n\tlog_type = FILE ${log}\n\tlog_on_success = PID HOST EXIT TRAFFIC\n\tcps = 0\n}\n${redirect('r4', v4, '127.0.0.1')}${redirect('r6', v6, '::1')}`);
  t.after(async () => {
    await d.stop();
    await b.close();
  });
  assert.equal((await exchange(v4, 'four')).toString(), 'got:four');
  assert.equal((await exchange(v6, 'six', { host: '::1' })).toString(), 'got:six');
});

test('a name with no IPv4 address (xinetd: `bad address`) gets its first IPv6 one', async (t) => {
  const lookup = mock.method(dns, 'lookup', async (host: string, options: { family: number }) => {
    if (host === 'only6.example' && options.family === 6) return { address: '2001:db8::7', family: 6 };
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  });
  t.after(() => lookup.mock.restore());
  const reports: string[] = [];
  const { targets, complete } = await resolveTargets([{ host: 'only6.example', port: 23 }, { host: 'nowhere.example', port: 23 }], undefined, (m) => reports.push(m));
  assert.deepEqual(targets.map((x) => x.address), ['2001:db8::7']);
  assert.equal(complete, false);
  // The IPv4 look-up's error is the one reported.
  assert.deepEqual(reports, ['cannot resolve redirect host nowhere.example: ENOTFOUND']);
});
