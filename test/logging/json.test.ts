import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';
import { REFUSE_PLUGIN, tcpService } from '../helpers/logging-conf.js';
import { exchange, freePort } from '../helpers/net.js';
import { readLines, waitFor } from '../helpers/wait.js';

type JsonRecord = Record<string, unknown> & { type: string };

test('log_json: one object per record, every field named, the refusal reason and refusing plugin, daemon messages in the common file', async (t) => {
  const [ok, deny] = [await freePort(), await freePort()];
  const d = await startDaemon((p) => [
    'defaults',
    '{',
    `\tlog_json = ${p.dir}/records.json`,
    '\tplugins = ./refuse.mjs',
    '}',
    tcpService('ok', ok, [], 'status 3'),
    tcpService('deny-json', deny),
  ].join('\n'), { files: { 'refuse.mjs': REFUSE_PLUGIN } });
  t.after(() => d.stop());
  await exchange(ok);
  await exchange(deny);
  const file = join(d.dir, 'records.json');
  const records = await waitFor('START, EXIT and FAIL records', async () => {
    const all = (await readLines(file)).map((l) => JSON.parse(l) as JsonRecord);
    return ['START', 'EXIT', 'FAIL'].every((type) => all.some((r) => r.type === type)) ? all : undefined;
  });
  const start = records.find((r) => r.type === 'START')!;
  assert.equal(start.service, 'ok');
  assert.equal(start.from, '::ffff:127.0.0.1');
  assert.equal(typeof start.pid, 'number');
  assert.equal(typeof start.from_port, 'number');
  assert.equal(start.local_port, ok);
  assert.ok(!Number.isNaN(Date.parse(start.time as string)));
  const exit = records.find((r) => r.type === 'EXIT')!;
  assert.equal(exit.status, 3);
  assert.equal(exit.signal, null);
  assert.equal(exit.pid, start.pid);
  assert.equal(typeof exit.duration_ms, 'number');
  const fail = records.find((r) => r.type === 'FAIL')!;
  assert.deepEqual([fail.service, fail.reason, fail.detail, fail.by], ['deny-json', 'address', 'test rule', 'test-refuse']);
  // Written before the first connection, read from the defaults' common file.
  assert.ok(records.some((r) => r.type === 'DAEMON' && /Started working/.test(r.message as string) && r.level === 'notice'));
});
