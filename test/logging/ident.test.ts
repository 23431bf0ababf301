import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';
import { tcpService } from '../helpers/logging-conf.js';
import { startIdentServer, startOidentd } from '../helpers/logging-ident.js';
import { exchange, freePort } from '../helpers/net.js';
import { readLines } from '../helpers/wait.js';

const STAMP = String.raw`\d\d/[1-9]\d?/[1-9]\d?@\d\d:\d\d:\d\d: `;

async function identConfig(extra: (log: string) => string[] = () => []) {
  const ports = { plain: await freePort(), idonly: await freePort() };
  const d = await startDaemon((p) => [
    'defaults',
    '{',
    `\tlog_type = FILE ${p.log}`,
    '\tlog_on_success = PID HOST USERID',
    '\tlog_on_failure = HOST',
    '}',
    tcpService('plain', ports.plain),
    tcpService('idonly', ports.idonly, ['flags = IDONLY', ...extra(p.log)]),
  ].join('\n'));
  return { d, ports };
}

test('USERID and IDONLY against a real oidentd on loopback', async (t) => {
  const oidentd = await startOidentd('127.0.0.61');
  t.after(() => oidentd.stop());
  const { d, ports } = await identConfig();
  t.after(() => d.stop());
  await exchange(ports.plain, undefined, { localAddress: '127.0.0.61' });
  assert.match(await d.waitForLog(/USERID: plain/), new RegExp(`^${STAMP}USERID: plain UNIX:root$`));
  await exchange(ports.idonly, undefined, { localAddress: '127.0.0.61' });
  assert.match(await d.waitForLog(/USERID: idonly/), new RegExp(`^${STAMP}USERID: idonly UNIX:root$`));
  // Records are written in batches: wait for the START line too before comparing positions.
  await d.waitForLog(/START: idonly/);
  const lines = await readLines(d.serviceLog);
  const userid = lines.findIndex((l) => /USERID: idonly/.test(l));
  const start = lines.findIndex((l) => /START: idonly pid=\d+ from=::ffff:127\.0\.0\.61$/.test(l));
  assert.ok(userid >= 0 && start > userid, 'IDONLY: the lookup completes before the server starts');
  assert.ok(!lines.some((l) => /NOID/.test(l)));
});

test('IDONLY refuses with NOID when there is no ident server; other connections are not held up', async (t) => {
  const { d, ports } = await identConfig();
  t.after(() => d.stop());
  await exchange(ports.idonly, undefined, { localAddress: '127.0.0.62' });
  assert.match(await d.waitForLog(/NOID/), new RegExp(`^${STAMP}NOID: idonly ::ffff:127\\.0\\.0\\.62 no server$`));
  assert.ok(!(await readLines(d.serviceLog)).some((l) => /START: idonly/.test(l)));
  // Without IDONLY, a failed lookup is silent and the connection is served.
  await exchange(ports.plain, undefined, { localAddress: '127.0.0.62' });
  await d.waitForLog(/START: plain pid=\d+ from=::ffff:127\.0\.0\.62$/);
});

test('replies from a small ident server: xinetd\'s parsing, bad responses, and a silent server blocking nobody else', async (t) => {
  const friendly = await startIdentServer('127.0.0.63', (r, l) => `  ${r} , ${l} : USERID : UNIX : alice`);
  const hostile = await startIdentServer('127.0.0.64', () => 'ERROR : NO-USER');
  const silent = await startIdentServer('127.0.0.65', () => undefined);
  t.after(() => Promise.all([friendly.stop(), hostile.stop(), silent.stop()]));
  const { d, ports } = await identConfig();
  t.after(() => d.stop());
  await exchange(ports.plain, undefined, { localAddress: '127.0.0.63' });
  assert.match(await d.waitForLog(/USERID: plain/), new RegExp(`^${STAMP}USERID: plain UNIX : alice$`));
  await exchange(ports.idonly, undefined, { localAddress: '127.0.0.64' });
  assert.match(await d.waitForLog(/NOID/), new RegExp(`^${STAMP}NOID: idonly ::ffff:127\\.0\\.0\\.64 bad response$`));
  await d.waitForMessage(/ERROR: Bad line received from identity server at ::ffff:127\.0\.0\.64: ERROR : NO-USER/);

  // An IDONLY client whose ident server never answers waits; everyone else is served meanwhile.
  const waiting = net.connect({ port: ports.idonly, host: '127.0.0.1', localAddress: '127.0.0.65' });
  waiting.on('error', () => undefined);
  await once(waiting, 'connect');
  t.after(() => waiting.destroy());
  await exchange(ports.idonly, undefined, { localAddress: '127.0.0.63' });
  await d.waitForLog(/START: idonly pid=\d+ from=::ffff:127\.0\.0\.63$/);
  assert.ok(!(await readLines(d.serviceLog)).some((l) => /127\.0\.0\.65/.test(l)));
});
