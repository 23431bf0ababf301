import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Connection } from '../../core/connection.js';
import { Daemon } from '../../core/daemon.js';
import { builtinPlugins } from '../../plugins/index.js';
import { checkJson } from '../helpers/cli.js';
import { startDaemon, tempDir, type RunningDaemon } from '../helpers/daemon.js';
import { connect, readToEnd } from '../helpers/internal-services.js';
import { cpuTicks } from '../helpers/limits-daemon.js';
import { exchange, freePort } from '../helpers/net.js';

const ports = { servers: 0, services: 0, xadmin: 0, echo: 0 };
const admin = (name: string, port: number, extra = '') =>
  `service ${name}\n{\n\ttype = INTERNAL UNLISTED\n\tsocket_type = stream\n\tprotocol = tcp\n\twait = no\n\tport = ${port}\n${extra}}\n`;
let conf = '';
let d: RunningDaemon;

before(async () => {
  for (const name of Object.keys(ports) as (keyof typeof ports)[]) ports[name] = await freePort();
  conf = `defaults\n{\n\tcps = 0\n}\n${admin('servers', ports.servers)}${admin('services', ports.services)}${admin('xadmin', ports.xadmin, '\tonly_from = 127.0.0.1\n')}${admin('echo', ports.echo)}`;
  d = await startDaemon(conf);
});
after(() => d.stop());

test('services lists every active service as `name protocol port`', async () => {
  const lines = (await exchange(ports.services)).toString().split('\n').filter(Boolean).sort();
  assert.deepEqual(lines, [`echo tcp ${ports.echo}`, `servers tcp ${ports.servers}`, `services tcp ${ports.services}`, `xadmin tcp ${ports.xadmin}`].sort());
});

test('servers lists running servers (`id pid=PID`), in-process ones with pid 0', async () => {
  const echo = await connect(ports.echo);
  try {
    const text = (await exchange(ports.servers)).toString();
    assert.match(text, /^echo pid=0$/m);
  } finally {
    echo.destroy();
  }
});

test('xadmin: prompt, help, show avail, show run, bye', async () => {
  const socket = await connect(ports.xadmin);
  socket.end('help\nshow avail\nshow run\nbogus\nbye\n');
  const text = (await readToEnd(socket)).toString();
  assert.ok(text.startsWith('> Commands:'), text);
  assert.match(text, new RegExp(`^(> )?echo tcp ${ports.echo}$`, 'm'));
  assert.match(text, /^(> )?xadmin pid=0$/m);
  assert.match(text, /unknown command: bogus/);
  assert.ok(text.endsWith('bye\n'));
});

test('xadmin: a line over 1024 bytes closes the session, whether or not its newline came in the same read', async () => {
  for (const line of ['a'.repeat(1025), `${'a'.repeat(60_000)}\nhelp\n`]) {
    const socket = await connect(ports.xadmin);
    const text = readToEnd(socket);
    socket.write(line);
    assert.equal((await text).toString(), '> ', `${line.length} bytes`);
  }
});

test('xadmin: pipelined commands are answered in batches, not a write each: 256 Ki empty lines cost the daemon little CPU', async () => {
  const lines = 256 * 1024;
  const before = cpuTicks(d.child.pid!);
  const socket = await connect(ports.xadmin);
  const text = readToEnd(socket, 30_000);
  socket.end(`${'\n'.repeat(lines)}bye\n`);
  assert.equal((await text).toString(), `${'> '.repeat(lines + 1)}bye\n`);
  // A write (a system call) per prompt took seconds of CPU, the event loop held all along.
  const ticks = cpuTicks(d.child.pid!) - before;
  assert.ok(ticks < 30, `${ticks} ticks of CPU for ${lines} empty lines`);
});

test('check warns that the administrative services expose the host', async () => {
  const dir = tempDir();
  const file = join(dir, 'xinetd.conf');
  writeFileSync(file, conf);
  const { json } = await checkJson(file);
  const warnings = json.diagnostics.filter((x) => x.level === 'warning').map((x) => x.message).join('\n');
  for (const name of ['servers', 'services', 'xadmin']) assert.match(warnings, new RegExp(`the ${name} service shows this host`));
  assert.doesNotMatch(warnings, /the echo service/);
});

test('without only_from of their own they refuse non-loopback clients (address); with only_from the access rules decide', async () => {
  const dir = tempDir();
  const file = join(dir, 'xinetd.conf');
  writeFileSync(file, conf);
  const daemon = new Daemon({ configFile: file });
  for (const p of builtinPlugins()) daemon.use(p);
  const config = await daemon.loadConfig();
  const service = (name: string) => config.services.find((s) => s.name === name)!;
  const conn = (name: string, address: string) => ({ service: service(name), peer: { address, port: 40000 } }) as unknown as Connection;
  assert.deepEqual(await daemon.hooks.authorize.promise(conn('servers', '192.0.2.7')), { code: 'address', detail: 'administrative service: loopback clients only', by: 'xinetd-ts:internal-services' });
  assert.equal((await daemon.hooks.authorize.promise(conn('services', '::ffff:127.0.0.1'))), undefined);
  assert.equal((await daemon.hooks.authorize.promise(conn('services', '::1'))), undefined);
  // xadmin sets only_from: the loopback rule steps aside (the access plugin applies the list).
  const hasAccess = daemon.attributes.lookup('only_from') !== undefined;
  const xadmin = await daemon.hooks.authorize.promise(conn('xadmin', '192.0.2.7'));
  if (hasAccess) assert.notEqual(xadmin?.by, 'xinetd-ts:internal-services');
  else assert.equal(xadmin?.code, 'address');
  assert.equal(await daemon.hooks.authorize.promise(conn('echo', '192.0.2.7')), undefined);
});
