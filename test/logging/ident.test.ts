import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';
import { tcpService } from '../helpers/logging-conf.js';
import { startIdentServer, startOidentd } from '../helpers/logging-ident.js';
import { connect } from '../helpers/internal-services.js';
import { exchange, freePort } from '../helpers/net.js';
import { readLines, waitFor } from '../helpers/wait.js';

const STAMP = String.raw`\d\d/[1-9]\d?/[1-9]\d?@\d\d:\d\d:\d\d: `;

/** `defaults` writing START with USERID (and `failure` on refusals) to `log`. */
const userIdDefaults = (log: string, failure = 'HOST') =>
  ['defaults', '{', `\tlog_type = FILE ${log}`, '\tlog_on_success = PID HOST USERID', `\tlog_on_failure = ${failure}`, '}'].join('\n');

async function identConfig(extra: (log: string) => string[] = () => []) {
  const ports = { plain: await freePort(), idonly: await freePort() };
  const d = await startDaemon((p) => [
    userIdDefaults(p.log),
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
  assert.ok(start >= 0 && userid === start + 1, 'IDONLY: USERID right after START, as xinetd writes them');
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
  // The address the lookup went to, as xinetd names it (not the client's IPv4-mapped form).
  await d.waitForMessage(/ERROR: Bad line received from identity server at 127\.0\.0\.64: ERROR : NO-USER$/);

  // An IDONLY client whose ident server never answers waits; everyone else is served meanwhile.
  const waiting = net.connect({ port: ports.idonly, host: '127.0.0.1', localAddress: '127.0.0.65' });
  waiting.on('error', () => undefined);
  await once(waiting, 'connect');
  t.after(() => waiting.destroy());
  await exchange(ports.idonly, undefined, { localAddress: '127.0.0.63' });
  await d.waitForLog(/START: idonly pid=\d+ from=::ffff:127\.0\.0\.63$/);
  assert.ok(!(await readLines(d.serviceLog)).some((l) => /127\.0\.0\.65/.test(l)));
});

test('an ident reply line longer than 1024 bytes is an error even when its CR LF came in the same read', async (t) => {
  // Each reply is written at once, CR LF included. `length`: the line's length without CR LF.
  let length = 0;
  let fill = 'x';
  const identd = await startIdentServer('127.0.0.66', (r, l) => {
    const head = `${r},${l}:USERID:UNIX:`;
    return length ? head + fill.repeat(length - head.length) : `${head}${'x'.repeat(1100)}`;
  });
  t.after(() => identd.stop());
  const { d, ports } = await identConfig();
  t.after(() => d.stop());
  await exchange(ports.idonly, undefined, { localAddress: '127.0.0.66' });
  assert.match(await d.waitForLog(/NOID/), new RegExp(`^${STAMP}NOID: idonly ::ffff:127\\.0\\.0\\.66 error while receiving response$`));
  await d.waitForMessage(/ERROR: Too much input from identity server/);

  // xinetd's 1024-byte buffer holds the CR LF too: 1022 bytes of line fit, 1023 do not.
  length = 1023;
  await exchange(ports.idonly, undefined, { localAddress: '127.0.0.66' });
  await waitFor('a second NOID', async () => ((await readLines(d.serviceLog)).filter((l) => /NOID: idonly/.test(l)).length === 2 ? true : undefined), { file: d.serviceLog });
  length = 1022;
  fill = 'y';
  await exchange(ports.idonly, undefined, { localAddress: '127.0.0.66' });
  assert.match(await d.waitForLog(/USERID: idonly/), /USERID: idonly UNIX:y+$/);
  await d.waitForLog(/START: idonly/);
  const lines = await readLines(d.serviceLog);
  assert.equal(lines.filter((l) => /START: idonly/.test(l)).length, 1, 'only the 1022-byte reply lets a client in');
  assert.ok(!lines.some((l) => /USERID: .*x/.test(l)));
});

test('daytime and time answer in the daemon with no ident lookup, as xinetd (no fork, no child to look up), even with IDONLY', async (t) => {
  const queried: number[] = [];
  const silent = await startIdentServer('127.0.0.67', (_r, l) => void queried.push(l));
  const friendly = await startIdentServer('127.0.0.68', (r, l) => (queried.push(l), `${r},${l}:USERID:UNIX:carol`));
  t.after(() => Promise.all([silent.stop(), friendly.stop()]));
  const ports = { daytime: await freePort(), time: await freePort(), plain: await freePort() };
  const internal = (name: string, port: number, extra: string[] = []) =>
    [`service ${name}`, '{', '\ttype = INTERNAL UNLISTED', '\tsocket_type = stream', '\twait = no', `\tport = ${port}`, ...extra.map((l) => `\t${l}`), '}', ''].join('\n');
  const d = await startDaemon((p) => [
    userIdDefaults(p.log),
    internal('daytime', ports.daytime),
    internal('time', ports.time, ['flags = IDONLY']),
    tcpService('plain', ports.plain),
  ].join('\n'));
  t.after(() => d.stop());
  // A silent ident server would hold the answer for 30 s; it comes at once.
  assert.match((await exchange(ports.daytime, undefined, { localAddress: '127.0.0.67', ms: 3000 })).toString(), /^\d\d [A-Z]{3} \d{4} \d\d:\d\d:\d\d \S+\r\n$/);
  assert.equal((await exchange(ports.time, undefined, { localAddress: '127.0.0.67', ms: 3000 })).length, 4);
  await exchange(ports.daytime, undefined, { localAddress: '127.0.0.68' });
  await exchange(ports.time, undefined, { localAddress: '127.0.0.68' });
  // A spawned service is still looked up: its USERID record is the sign the daytime ones would have come.
  await exchange(ports.plain, undefined, { localAddress: '127.0.0.68' });
  await d.waitForLog(/USERID: plain UNIX:carol$/);
  await d.waitForLog(/START: time pid=0 from=::ffff:127\.0\.0\.68$/);
  const lines = await readLines(d.serviceLog);
  assert.equal(lines.filter((l) => /START: (daytime|time) /.test(l)).length, 4);
  assert.ok(!lines.some((l) => /(USERID|NOID|FAIL): (daytime|time)/.test(l)), lines.join('\n'));
  assert.deepEqual(queried, [ports.plain], 'the ident servers were asked about the spawned service only');
});

test('USERID follows its START (spawned and in-daemon stream services) and its FAIL, with trailing blanks stripped', async (t) => {
  const identd = await startIdentServer('127.0.0.69', (r, l) => `${r} , ${l} : USERID : UNIX : some user  `);
  t.after(() => identd.stop());
  const ports = { plain: await freePort(), echo: await freePort(), denied: await freePort() };
  const d = await startDaemon((p) => [
    userIdDefaults(p.log, 'HOST USERID'),
    tcpService('plain', ports.plain),
    ['service echo', '{', '\ttype = INTERNAL UNLISTED', '\tsocket_type = stream', '\twait = no', `\tport = ${ports.echo}`, '\tper_source = 1', '}', ''].join('\n'),
    tcpService('denied', ports.denied, ['only_from = 127.0.0.1']),
  ].join('\n'));
  t.after(() => d.stop());
  await exchange(ports.plain, undefined, { localAddress: '127.0.0.69' });
  assert.match(await d.waitForLog(/USERID: plain/), new RegExp(`^${STAMP}USERID: plain UNIX : some user$`));
  const held = await connect(ports.echo, { localAddress: '127.0.0.69' });
  t.after(() => held.destroy());
  await d.waitForLog(/USERID: echo/);
  // per_source = 1: the second client is refused by the limit after its lookup.
  await exchange(ports.echo, undefined, { localAddress: '127.0.0.69' });
  await exchange(ports.denied, undefined, { localAddress: '127.0.0.69' });
  await waitFor('two USERID records of echo and one of denied', async () => {
    const lines = await readLines(d.serviceLog);
    return lines.filter((l) => /USERID: echo/.test(l)).length === 2 && lines.some((l) => /USERID: denied/.test(l)) ? true : undefined;
  }, { file: d.serviceLog });
  const records = (await readLines(d.serviceLog)).map((l) => l.slice(l.indexOf(': ') + 2).replace(/pid=\d+/, 'pid=N'));
  const from = 'from=::ffff:127.0.0.69';
  assert.deepEqual(records, [
    `START: plain pid=N ${from}`,
    'USERID: plain UNIX : some user',
    `START: echo pid=N ${from}`,
    'USERID: echo UNIX : some user',
    `FAIL: echo per_source_limit ${from}`,
    'USERID: echo UNIX : some user',
    `FAIL: denied address ${from}`,
    'USERID: denied UNIX : some user',
  ]);
});
