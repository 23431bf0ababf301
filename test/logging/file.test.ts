import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';
import { REFUSE_PLUGIN, tcpService } from '../helpers/logging-conf.js';
import { exchange, freePort } from '../helpers/net.js';
import { readLines, waitFor } from '../helpers/wait.js';

const STAMP = String.raw`\d\d/[1-9]\d?/[1-9]\d?@\d\d:\d\d:\d\d: `;

test('FILE records: xinetd\'s line format, field order, flags merged from defaults, common and per-service files', async (t) => {
  const ports = { a: await freePort(), sig: await freePort(), deny: await freePort(), quiet: await freePort(), own: await freePort() };
  const d = await startDaemon((p) => [
    'defaults',
    '{',
    `\tlog_type = FILE ${p.log}`,
    '\tlog_on_success = PID HOST EXIT DURATION',
    '\tlog_on_failure = HOST',
    '\tplugins = ./refuse.mjs',
    '}',
    tcpService('a', ports.a),
    tcpService('sig', ports.sig, ['log_on_success -= HOST DURATION'], 'signal TERM'),
    tcpService('deny-a', ports.deny, ['log_on_failure -= HOST', 'log_on_failure += ATTEMPT']),
    tcpService('quiet', ports.quiet, ['log_on_success =']),
    tcpService('own', ports.own, [`log_type = FILE ${p.dir}/own.log`, 'log_on_success = HOST']),
  ].join('\n'), { files: { 'refuse.mjs': REFUSE_PLUGIN } });
  t.after(() => d.stop());
  await exchange(ports.a);
  await exchange(ports.sig);
  await exchange(ports.deny);
  await exchange(ports.quiet);
  await exchange(ports.own);
  assert.match(await d.waitForLog(/START: a /), new RegExp(`^${STAMP}START: a pid=\\d+ from=::ffff:127\\.0\\.0\\.1$`));
  assert.match(await d.waitForLog(/EXIT: a /), new RegExp(`^${STAMP}EXIT: a status=0 pid=\\d+ duration=0\\(sec\\)$`));
  assert.match(await d.waitForLog(/EXIT: sig /), new RegExp(`^${STAMP}EXIT: sig signal=15 pid=\\d+$`));
  assert.match(await d.waitForLog(/FAIL: deny-a /), new RegExp(`^${STAMP}FAIL: deny-a address$`));
  const own = await waitFor('own.log', async () => (await readLines(join(d.dir, 'own.log')))[0]);
  assert.match(own, new RegExp(`^${STAMP}START: own from=::ffff:127\\.0\\.0\\.1$`));
  const lines = await readLines(d.serviceLog);
  assert.ok(!lines.some((l) => /: (START|EXIT): quiet/.test(l)), 'an empty log_on_success writes no START/EXIT');
  assert.ok(!lines.some((l) => / own /.test(l)), 'a service with its own FILE does not write the common one');
});

test('no log_type means no service records, whatever log_on_* say', async (t) => {
  const port = await freePort();
  const d = await startDaemon(['defaults', '{', '\tlog_on_success = PID HOST EXIT', '\tlog_on_failure = HOST', '}', tcpService('nolog', port)].join('\n'));
  t.after(() => d.stop());
  await exchange(port);
  d.signal('SIGUSR1');
  await d.waitForMessage(/generated state dump/);
  assert.deepEqual(readdirSync(d.dir).filter((f) => f !== 'xinetd.conf' && f !== 'messages.log' && f !== 'xinetd.dump'), []);
  assert.deepEqual((await readLines(d.messages)).filter((l) => /(START|EXIT): nolog/.test(l)), []);
});

test('a FILE log exists once its service runs, before any record (as xinetd; fail2ban will not watch a missing file)', async (t) => {
  const port = await freePort();
  const d = await startDaemon((p) => tcpService('early', port, [`log_type = FILE ${p.dir}/early.log`, 'log_on_success = PID']));
  t.after(() => d.stop());
  // Started working is logged after the services are open; no client has come yet.
  assert.equal(statSync(join(d.dir, 'early.log')).size, 0);
  assert.equal(statSync(join(d.dir, 'early.log')).mode & 0o777, 0o644);
});

test('size caps: the log and its rotation never exceed the hard limit, the soft limit warns once, the newest records stay', async (t) => {
  const port = await freePort();
  const d = await startDaemon((p) => tcpService('capped', port, [
    `log_type = FILE ${p.log} 1K 3K`,
    'log_on_success = PID HOST EXIT DURATION',
    `log_json = ${p.dir}/all.json`,
  ]));
  t.after(() => d.stop());
  for (let i = 0; i < 40; i++) await exchange(port);
  const json = join(d.dir, 'all.json');
  const lastExit = await waitFor('40 EXIT records', async () => {
    const exits = (await readLines(json)).map((l) => JSON.parse(l) as { type: string; pid: number }).filter((r) => r.type === 'EXIT');
    return exits.length === 40 ? exits[39] : undefined;
  });
  await d.waitForLog(new RegExp(`EXIT: capped status=0 pid=${lastExit.pid} `));
  const used = statSync(d.serviceLog).size + statSync(`${d.serviceLog}.1`).size;
  assert.ok(used <= 3 * 1024, `log uses ${used} bytes`);
  const messages = await readLines(d.messages);
  assert.equal(messages.filter((l) => /Size of capped log exceeded soft limit \(1024 bytes\)/.test(l)).length, 1);
  assert.equal(messages.filter((l) => /Size of capped log reached its hard limit \(3072 bytes\): rotating/.test(l)).length, 1);
});

test('a soft limit close to the hard one still warns, at the first rotation at the latest', async (t) => {
  const port = await freePort();
  // 1K 2K: each file is rotated near 512 bytes, so the pair never holds 1K at once.
  const d = await startDaemon((p) => tcpService('close', port, [`log_type = FILE ${p.log} 1K 2K`, 'log_on_success = PID HOST EXIT DURATION']));
  t.after(() => d.stop());
  for (let i = 0; i < 30; i++) await exchange(port);
  const notice = await d.waitForMessage(/Size of close log reached its hard limit \(2048 bytes\): rotating/);
  const messages = await readLines(d.messages);
  const soft = messages.filter((l) => /Size of close log exceeded soft limit \(1024 bytes\)/.test(l));
  assert.equal(soft.length, 1, messages.join('\n'));
  assert.ok(messages.indexOf(soft[0]!) < messages.indexOf(notice), 'the soft-limit warning comes first');
});

test('files are reopened on reload (rename + SIGHUP rotation)', async (t) => {
  const port = await freePort();
  const d = await startDaemon((p) => tcpService('rot', port, [`log_type = FILE ${p.log}`, 'log_on_success = PID']));
  t.after(() => d.stop());
  await exchange(port);
  await d.waitForLog(/START: rot/);
  renameSync(d.serviceLog, `${d.serviceLog}.old`);
  d.signal('SIGHUP');
  await d.waitForMessage(/Reconfigured/);
  await exchange(port);
  await d.waitForLog(/START: rot/);
  assert.equal((await readLines(d.serviceLog)).length, 1);
  assert.equal((await readLines(`${d.serviceLog}.old`)).length, 1);
});

test('an unwritable log file is reported once, other logs go on, and it recovers when it becomes writable', async (t) => {
  const [bad, good] = [await freePort(), await freePort()];
  const d = await startDaemon((p) => {
    writeFileSync(join(p.dir, 'blocked'), 'a file where a directory should be\n');
    return [
      tcpService('bad', bad, [`log_type = FILE ${p.dir}/blocked/bad.log`, 'log_on_success = PID']),
      tcpService('good', good, [`log_type = FILE ${p.log}`, 'log_on_success = PID']),
    ].join('\n');
  });
  t.after(() => d.stop());
  await exchange(bad);
  await d.waitForMessage(/log file .*blocked\/bad\.log: .*records are dropped until it recovers/);
  await exchange(bad);
  await exchange(good);
  await d.waitForLog(/START: good/);
  rmSync(join(d.dir, 'blocked'));
  mkdirSync(join(d.dir, 'blocked'));
  const badLog = join(d.dir, 'blocked', 'bad.log');
  await waitFor('bad.log written again', async () => {
    await exchange(bad);
    return (await readLines(badLog)).find((l) => /START: bad pid=/.test(l));
  }, { ms: 10_000, everyMs: 200 });
  await d.waitForMessage(/log file .*bad\.log: recovered \(\d+ records? lost\)/);
  assert.equal((await readLines(d.messages)).filter((l) => /blocked\/bad\.log: .*records are dropped/.test(l)).length, 1);
});
