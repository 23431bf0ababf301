import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { ROOT, startDaemon, tempDir } from '../helpers/daemon.js';
import { exchange, freePort } from '../helpers/net.js';

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
