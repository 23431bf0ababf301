/**
 * Delays an administrator writes that are longer than a Node timer holds (2^31 - 1 ms, 24.8
 * days). Node fires such a timer after 1 ms (with a TimeoutOverflowWarning on stderr): a cps WAIT
 * of a month switched the service back on at once, a redirect_timeout of a month timed every
 * target out at once, `-cc` of a month checked every millisecond. xinetd honours them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { dumpState } from '../helpers/limits-daemon.js';
import { exchange, freePort } from '../helpers/net.js';
import { blackhole } from '../helpers/redirect-backends.js';

/** 25.5 days in seconds: past what one Node timer holds. */
const MONTH = 2_200_000;

const daytime = (port: number, extra: string) =>
  `service daytime\n{\n\ttype = INTERNAL UNLISTED\n\tsocket_type = stream\n\twait = no\n\tport = ${port}\n\tbind = 127.0.0.1\n${extra}}\n`;

/** The daemon has gone round its loop for a while (a dump is a round trip through the signal handler). */
async function settled(d: RunningDaemon): Promise<string> {
  await dumpState(d);
  return readFileSync(d.dumpFile, 'utf8');
}

function assertNoOverflow(d: RunningDaemon): void {
  assert.doesNotMatch(d.stderr(), /TimeoutOverflowWarning/);
}

test('cps with a WAIT of a month keeps the service off, not back after 1 ms', async (t) => {
  const port = await freePort();
  const d = await startDaemon(daytime(port, `\tcps = 1 ${MONTH}\n`));
  t.after(() => d.stop());
  for (let i = 0; i < 3; i++) await exchange(port).catch(() => Buffer.alloc(0));
  await d.waitForMessage(new RegExp(`Deactivating service daytime due to excessive incoming connections\\.  Restarting in ${MONTH} seconds\\.`));
  const dump = await settled(d);
  assert.match(dump, /Service = daytime\n(?:\t[^\n]*\n)*?\tState = Suspended\n/);
  assert.doesNotMatch(readFileSync(d.messages, 'utf8'), /Activating service daytime/);
  const refused = net.connect(port, '127.0.0.1');
  const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
  assert.equal(error.code, 'ECONNREFUSED');
  assertNoOverflow(d);
});

test('redirect_timeout of a month waits for the target, it does not time out at once', async (t) => {
  const hole = await blackhole();
  const port = await freePort();
  const d = await startDaemon(({ log }) => `defaults\n{\n\tlog_type = FILE ${log}\n\tlog_on_success = PID HOST\n}\n` +
    `service r1\n{\n\ttype = UNLISTED\n\tsocket_type = stream\n\twait = no\n\tport = ${port}\n\tbind = 127.0.0.1\n\tredirect = 127.0.0.1 ${hole.port}\n\tredirect_timeout = ${MONTH}\n}\n`);
  t.after(async () => {
    await d.stop();
    hole.close();
  });
  const client = net.connect(port, '127.0.0.1');
  client.on('error', () => undefined);
  t.after(() => client.destroy());
  await d.waitForLog(/START: r1 pid=0 from=127\.0\.0\.1/);
  await settled(d);
  assert.doesNotMatch(readFileSync(d.messages, 'utf8'), /can't connect to remote host|no redirect target reachable/);
  assert.equal(client.destroyed, false, 'the client is still waiting for the target');
  assertNoOverflow(d);
});

test('-cc with an interval of a month does not check every millisecond', async (t) => {
  const port = await freePort();
  const d = await startDaemon(daytime(port, ''), { args: ['-cc', String(MONTH)] });
  t.after(() => d.stop());
  await settled(d);
  assert.doesNotMatch(readFileSync(d.messages, 'utf8'), /Consistency check/);
  assertNoOverflow(d);
});
