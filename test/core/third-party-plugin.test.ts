import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { ROOT, startDaemon, tempDir } from '../helpers/daemon.js';
import { waitForLines } from '../helpers/e2e.js';
import { exchange, freePort } from '../helpers/net.js';
import { readLines, waitForLine } from '../helpers/wait.js';

const EXAMPLE_CONF = join(ROOT, 'docs/examples/maintenance.conf');

test('the documented example plugin loads from a config file, owns its attribute and refuses with its own reason', async (t) => {
  const port = await freePort();
  const d = await startDaemon(({ dir, log }) => `include ${EXAMPLE_CONF}
service echo-cat
{
	type             = UNLISTED
	port             = ${port}
	bind             = 127.0.0.1
	socket_type      = stream
	wait             = no
	user             = nobody
	server           = /bin/cat
	log_type         = FILE ${log}
	log_on_success   = PID HOST
	maintenance_file = ${dir}/maintenance
}
`);
  t.after(() => d.stop());
  assert.equal((await exchange(port, 'before\n')).toString(), 'before\n');
  writeFileSync(join(d.dir, 'maintenance'), '');
  assert.equal((await exchange(port, 'during\n')).length, 0);
  await d.waitForLog(/FAIL: echo-cat x-maintenance from=127\.0\.0\.1$/);
  rmSync(join(d.dir, 'maintenance'));
  assert.equal((await exchange(port, 'after\n')).toString(), 'after\n');
});

test('a structured config lists plugins with options, relative to the config file', async (t) => {
  const port = await freePort();
  const pluginPath = join(ROOT, 'docs/examples/plugins/maintenance.js');
  const d = await startDaemon(({ dir, log }) => JSON.stringify({
    defaults: { log_type: `FILE ${log}`, log_on_failure: 'HOST' },
    services: {
      guarded: { type: 'UNLISTED', port, bind: '127.0.0.1', socket_type: 'stream', wait: 'no', user: 'nobody', server: '/bin/cat' },
    },
    plugins: [[pluginPath, { file: join(dir, 'flag') }]],
  }), { configName: 'xinetd-ts.json', files: { flag: '' } });
  t.after(() => d.stop());
  assert.equal((await exchange(port, 'x')).length, 0);
  await d.waitForLog(/FAIL: guarded x-maintenance from=127\.0\.0\.1$/);
});

test('a plugin that cannot be found or has the wrong shape stops the daemon with a coded error and file:line', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'bad-shape.js'), 'export default { notAPlugin: true };\n');
  for (const [spec, code] of [['./missing.js', 'XI_ERR_PLUGIN_NOT_FOUND'], ['./bad-shape.js', 'XI_ERR_PLUGIN_SHAPE'], ['no-such-xinetd-ts-plugin-package', 'XI_ERR_PLUGIN_NOT_FOUND']] as const) {
    const conf = join(dir, `x-${code}.conf`);
    writeFileSync(conf, `defaults\n{\n\tplugins = ${spec}\n}\n`);
    const r = await runCli(['-dontfork', '-stayalive', '-f', conf]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`${code}.*${conf.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3`));
  }
});

test('the json-log example writes every service record to the file its options name, relative to where the daemon started, across a reload', async (t) => {
  const [port, closed] = [await freePort(), await freePort()];
  // The daemon starts here and then works in /: the relative option must still land here.
  const cwd = tempDir();
  const d = await startDaemon(({ log }) => JSON.stringify({
    defaults: { log_type: `FILE ${log}`, log_on_success: 'PID', log_on_failure: 'HOST' },
    services: [
      { name: 'echo', type: 'INTERNAL UNLISTED', port, bind: '127.0.0.1', socket_type: 'stream', wait: 'no' },
      { name: 'echo', id: 'closed', type: 'INTERNAL UNLISTED', port: closed, bind: '127.0.0.1', socket_type: 'stream', wait: 'no', only_from: '10.0.0.1' },
    ],
    plugins: [[join(ROOT, 'docs/examples/plugins/json-log.js'), { path: 'records.jsonl' }]],
  }), { configName: 'xinetd-ts.json', cwd });
  t.after(() => d.stop());
  const records = join(cwd, 'records.jsonl');
  assert.equal((await exchange(port, 'x\n')).toString(), 'x\n');
  assert.equal((await exchange(closed, 'x\n')).length, 0);
  await waitForLine(records, /"kind":"fail"/);
  d.signal('SIGHUP');
  await d.waitForMessage(/Reconfigured: /);
  assert.equal((await exchange(port, 'y\n')).toString(), 'y\n');
  await waitForLines(records, /"kind":"exit"/, 2);
  const lines = (await readLines(records)).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines.filter((r) => r.kind === 'fail').map(({ service, from, reason, by }) => ({ service, from, reason, by })), [
    { service: 'closed', from: '127.0.0.1', reason: 'address', by: 'xinetd-ts:access' },
  ]);
  assert.deepEqual(lines.filter((r) => r.service === 'echo').map((r) => r.kind), ['start', 'exit', 'start', 'exit']);
});
