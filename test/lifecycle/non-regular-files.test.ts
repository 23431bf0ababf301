/**
 * Files the administrator names that turn out not to be regular files. A FIFO blocks open()
 * until a writer (or reader) comes: xinetd hangs on an `include` of one. Here a FIFO (or a
 * device) is refused with a message, and nothing else waits for it: the other services answer,
 * the reload ends, the signals after it are handled.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, tempDir } from '../helpers/daemon.js';
import { exchange, freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

const DAYTIME = /^\d\d [A-Z]{3} \d{4} \d\d:\d\d:\d\d \S+\r\n$/;

function mkfifo(path: string): void {
  rmSync(path, { force: true });
  execFileSync('mkfifo', [path]);
}

function daytime(id: string, port: number, extra: readonly string[] = []): string {
  return `service daytime\n{\n\tid = ${id}\n\ttype = INTERNAL UNLISTED\n\tsocket_type = stream\n\twait = no\n\tport = ${port}\n\tbind = 127.0.0.1\n${extra.map((l) => `\t${l}\n`).join('')}}\n`;
}

const answer = async (port: number) => (await exchange(port, undefined, { ms: 3000 })).toString('latin1');

test('an include that became a FIFO is skipped with its file:line at reload; the reload ends and the services answer', async (t) => {
  const port = await freePort();
  const d = await startDaemon(({ dir }) => `${daytime('clock', port)}include ${dir}/extra\n`, { files: { extra: '' } });
  t.after(() => d.stop());
  mkfifo(join(d.dir, 'extra'));
  d.signal('SIGHUP');
  await d.waitForMessage(/Reconfigured: new=0 old=1 dropped=0/, 5000);
  await d.waitForMessage(new RegExp(`ERROR: ${join(d.dir, 'extra')} is not a regular file\\. It is being skipped\\. \\[file=${join(d.dir, 'xinetd.conf')}\\] \\[line=10\\]$`));
  assert.match(await answer(port), DAYTIME);
});

test('a main configuration file replaced by a FIFO fails the reload with a reason; the running services stay', async (t) => {
  const port = await freePort();
  const d = await startDaemon(daytime('clock', port));
  t.after(() => d.stop());
  mkfifo(join(d.dir, 'xinetd.conf'));
  d.signal('SIGHUP');
  await d.waitForMessage(/WARNING: reconfiguration failed/, 5000);
  assert.match(readFileSync(d.messages, 'utf8'), new RegExp(`ERROR: Cannot read configuration file ${join(d.dir, 'xinetd.conf')}: not a regular file\\n`));
  assert.match(await answer(port), DAYTIME);
});

test('a hosts.allow that is a FIFO at start: the daemon starts, libwrap refuses and says why, NOLIBWRAP services answer', async (t) => {
  const [wrapped, unwrapped] = [await freePort(), await freePort()];
  const files = tempDir('xinetd-ts-fifo-');
  t.after(() => rmSync(files, { recursive: true, force: true }));
  const allow = join(files, 'hosts.allow');
  mkfifo(allow);
  writeFileSync(join(files, 'hosts.deny'), '');
  const d = await startDaemon(daytime('wrapped', wrapped) + daytime('unwrapped', unwrapped, ['flags = NOLIBWRAP']), {
    env: { ...process.env, XINETD_TS_HOSTS_ALLOW: allow, XINETD_TS_HOSTS_DENY: join(files, 'hosts.deny') },
  });
  t.after(() => d.stop());
  assert.equal(await answer(wrapped), '');
  await d.waitForMessage(new RegExp(`ERROR: libwrap: cannot open ${allow}: not a regular file; refusing connections until it can be read`));
  assert.match(await answer(unwrapped), DAYTIME);
});

test('a hosts.allow replaced by a FIFO while running: connections are refused at once, not held', async (t) => {
  const [wrapped, unwrapped] = [await freePort(), await freePort()];
  const files = tempDir('xinetd-ts-fifo-');
  t.after(() => rmSync(files, { recursive: true, force: true }));
  const allow = join(files, 'hosts.allow');
  writeFileSync(allow, '');
  writeFileSync(join(files, 'hosts.deny'), '');
  const d = await startDaemon(daytime('wrapped', wrapped) + daytime('unwrapped', unwrapped, ['flags = NOLIBWRAP']), {
    env: { ...process.env, XINETD_TS_HOSTS_ALLOW: allow, XINETD_TS_HOSTS_DENY: join(files, 'hosts.deny') },
  });
  t.after(() => d.stop());
  assert.match(await answer(wrapped), DAYTIME);
  mkfifo(allow);
  // The change is seen within a second (hosts files are checked at most once a second).
  await waitFor('a refusal by the FIFO hosts.allow', async () => ((await answer(wrapped)) === '' ? true : undefined), { ms: 5000, everyMs: 100 });
  await d.waitForMessage(/libwrap: cannot open .*hosts\.allow: not a regular file/);
  assert.match(await answer(unwrapped), DAYTIME);
});

test('a banner that is a FIFO is reported and skipped: more clients than thread-pool threads are all served', async (t) => {
  const port = await freePort();
  const d = await startDaemon(({ dir }) => daytime('clock', port, [`banner = ${dir}/banner`]));
  t.after(() => d.stop());
  mkfifo(join(d.dir, 'banner'));
  const answers = await Promise.all(Array.from({ length: 6 }, () => answer(port)));
  for (const a of answers) assert.match(a, DAYTIME);
  await d.waitForMessage(new RegExp(`ERROR: service = clock, open of banner ${join(d.dir, 'banner')} failed`));
});

test('a dump file that is a FIFO or a directory: SIGUSR1 says so in xinetd\'s words; SIGHUP and SIGTERM still work', async (t) => {
  const port = await freePort();
  const d = await startDaemon(daytime('clock', port));
  t.after(() => d.stop());
  mkfifo(d.dumpFile);
  d.signal('SIGUSR1');
  await d.waitForMessage(new RegExp(`ERROR: failed to open ${d.dumpFile}: not a regular file$`), 5000);
  d.signal('SIGHUP');
  await d.waitForMessage(/Reconfigured: new=0 old=1 dropped=0/, 5000);
  rmSync(d.dumpFile);
  mkdirSync(d.dumpFile);
  d.signal('SIGUSR1');
  await d.waitForMessage(new RegExp(`ERROR: failed to open ${d.dumpFile}: Is a directory \\(errno = 21\\)$`), 5000);
  assert.match(await answer(port), DAYTIME);
  await d.stop();
  assert.equal(d.child.exitCode, 0, 'SIGTERM ended the daemon, not the SIGKILL after it');
});

test('a FILE log that is a FIFO with no reader: the daemon starts and serves, the log is reported once, the other logs go on', async (t) => {
  const [piped, logged] = [await freePort(), await freePort()];
  const d = await startDaemon(({ dir, log }) => `defaults\n{\n\tlog_on_success = PID HOST\n}\n` +
    daytime('piped', piped, [`log_type = FILE ${dir}/log-fifo`]) + daytime('logged', logged, [`log_type = FILE ${log}`]), {
    // The FIFO exists before the start, which used to wait for its reader for ever.
    wrapper: (dir) => ['sh', '-c', 'mkfifo "$0" && exec "$@"', join(dir, 'log-fifo')],
  });
  t.after(() => d.stop());
  assert.match(await answer(piped), DAYTIME);
  assert.match(await answer(piped), DAYTIME);
  assert.match(await answer(logged), DAYTIME);
  await d.waitForLog(/START: logged pid=0 from=/);
  await d.waitForMessage(new RegExp(`ERROR: log file ${join(d.dir, 'log-fifo')}: not a regular file \\(a FIFO or a device is not written to\\); records are dropped until it recovers$`));
  assert.equal(readFileSync(d.messages, 'utf8').match(/log-fifo: not a regular file/g)?.length, 1, 'said once');
  await d.stop();
  assert.equal(d.child.exitCode, 0, 'SIGTERM ended the daemon');
});

test('a FILE log on /dev/null (a service silenced) takes its records without a word; another device is reported', async (t) => {
  const [silenced, tty, logged] = [await freePort(), await freePort(), await freePort()];
  const d = await startDaemon(({ log }) => `defaults\n{\n\tlog_on_success = PID HOST\n}\n` +
    daytime('silenced', silenced, ['log_type = FILE /dev/null']) + daytime('zeroed', tty, ['log_type = FILE /dev/zero']) + daytime('logged', logged, [`log_type = FILE ${log}`]));
  t.after(() => d.stop());
  assert.match(await answer(silenced), DAYTIME);
  assert.match(await answer(tty), DAYTIME);
  assert.match(await answer(logged), DAYTIME);
  await d.waitForLog(/START: logged pid=0 from=/);
  await d.waitForMessage(/ERROR: log file \/dev\/zero: not a regular file/);
  assert.doesNotMatch(readFileSync(d.messages, 'utf8'), /\/dev\/null/);
});
