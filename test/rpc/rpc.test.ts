/**
 * `type = RPC` services against a real rpcbind, real RPC servers (Debian's rpc.rstatd, a
 * NULL-procedure server) and real clients (rup, rpcinfo), in namespaces of the test's own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { checkJson } from '../helpers/cli.js';
import { ROOT, tempDir } from '../helpers/daemon.js';
import { startWithRpcbind } from '../helpers/rpcbind.js';

const RSTATD = '/usr/sbin/rpc.rstatd';
const RSTAT_PROGRAM = 100001;
const RUSERS_PROGRAM = 100002;
/** In the range RFC 5531 leaves to users. */
const NULL_PROGRAM = 536870913;
const NULL_SERVER = join(ROOT, 'test/fixtures/servers/rpc-null.mjs');

const defaults = (log: string) => `defaults
{
	log_type = FILE ${log}
	log_on_success = PID HOST EXIT
	log_on_failure = HOST
}
`;

const rstatd = (versions: string) => `service rstatd
{
	type = RPC
	socket_type = dgram
	protocol = udp
	rpc_version = ${versions}
	wait = yes
	user = root
	server = ${RSTATD}
}
`;

const nullService = `service nullrpc
{
	type = RPC UNLISTED
	rpc_number = ${NULL_PROGRAM}
	socket_type = stream
	protocol = tcp
	rpc_version = 1
	wait = no
	user = root
	server = ${process.execPath}
	server_args = ${NULL_SERVER}
}
`;

/** The port of the rows of one program in `rpcinfo -p` (all its rows must name the same one). */
function portOf(rows: readonly string[], program: number): number {
  const ports = new Set(rows.filter((r) => r.startsWith(`${program} `)).map((r) => r.split(' ')[3]));
  assert.equal(ports.size, 1, `one port for program ${program}: ${rows.join(' | ')}`);
  return Number([...ports][0]);
}

test('an RPC service is registered with rpcbind for each of its versions; rup and rpcinfo reach its servers; none is left at exit', async (t) => {
  // hosts.deny refuses the tcp service's daemon name: as in xinetd, libwrap does not apply to it.
  const wrap = tempDir();
  t.after(() => rmSync(wrap, { recursive: true, force: true }));
  writeFileSync(join(wrap, 'hosts.deny'), `${basename(process.execPath)}: ALL\n`);
  const env = { ...process.env, XINETD_TS_HOSTS_ALLOW: join(wrap, 'hosts.allow'), XINETD_TS_HOSTS_DENY: join(wrap, 'hosts.deny') };
  const ns = await startWithRpcbind(({ log }) => defaults(log) + rstatd('2-4') + nullService, { env });
  t.after(() => ns.stop());
  await ns.daemon.waitForMessage(/Started working: 2 available services/);
  const rows = await ns.waitForRows(4);
  const udp = portOf(rows, RSTAT_PROGRAM);
  const tcp = portOf(rows, NULL_PROGRAM);
  assert.deepEqual(rows.filter((r) => /^(100001|536870913) /.test(r)).sort(), [
    `${RSTAT_PROGRAM} 2 udp ${udp}`, `${RSTAT_PROGRAM} 3 udp ${udp}`, `${RSTAT_PROGRAM} 4 udp ${udp}`, `${NULL_PROGRAM} 1 tcp ${tcp}`,
  ].sort());

  const rup = await ns.client('rup', ['localhost']);
  assert.equal(rup.code, 0, rup.stderr);
  assert.match(rup.stdout, /^localhost\s+.*\bup\b.*load/m);
  assert.match(await ns.daemon.waitForLog(/START: rstatd /), /START: rstatd pid=\d+ from=::ffff:127\.0\.0\.1$/);

  const ping = await ns.client('rpcinfo', ['-t', 'localhost', String(NULL_PROGRAM), '1']);
  assert.equal(ping.code, 0, ping.stderr);
  assert.match(ping.stdout, new RegExp(`program ${NULL_PROGRAM} version 1 ready and waiting`));
  await ns.daemon.waitForLog(/EXIT: nullrpc status=0 pid=\d+/);

  // xinetd's `RPC data` block; no `port =` line, the port being the kernel's choice.
  ns.daemon.signal('SIGUSR1');
  await ns.daemon.waitForMessage(/generated state dump/);
  const dump = readFileSync(ns.daemon.dumpFile, 'utf8');
  const rstatdSection = dump.slice(dump.indexOf('Service = rstatd'), dump.indexOf('Service = nullrpc'));
  assert.match(rstatdSection, /\t\tServer argv = rpc\.rstatd\n\t\tRPC data\n\t\t\tprogram number = 100001\n\t\t\trpc_version = 2-4\n/);
  assert.match(dump, /\t\ttype = RPC UNLISTED\n/);
  assert.match(dump, new RegExp(`\\t\\t\\tprogram number = ${NULL_PROGRAM}\\n\\t\\t\\trpc_version = 1\\n`));
  assert.doesNotMatch(rstatdSection, /port = /);
  // As xinetd: a tcp RPC service carries NOLIBWRAP (libwrap cannot check it), a udp one does not.
  assert.match(dump.slice(dump.indexOf('Service = nullrpc')), /\t\tflags = NOLIBWRAP IPv6\n/);
  assert.doesNotMatch(rstatdSection, /NOLIBWRAP/);

  ns.daemon.signal('SIGTERM');
  await ns.waitForRegistrations([RSTAT_PROGRAM, NULL_PROGRAM], []);
});

test('without rpcbind each version is reported in xinetd\'s words; the socket stays, and a reload registers it once rpcbind runs, also after rpcbind restarts', async (t) => {
  const ns = await startWithRpcbind(({ log }) => defaults(log) + rstatd('2-3'), { withRpcbind: false });
  t.after(() => ns.stop());
  await ns.daemon.waitForMessage(/ERROR: pmap_set failed\. service=rstatd program=100001 version=2$/);
  await ns.daemon.waitForMessage(/ERROR: pmap_set failed\. service=rstatd program=100001 version=3$/);
  await ns.daemon.waitForMessage(/ERROR: No versions registered for RPC service rstatd$/);
  await ns.daemon.waitForMessage(/WARNING: rstatd: rpcbind \(\/var\/run\/rpcbind\.sock\): connect ENOENT .*; a reload \(SIGHUP\) tries the registration again$/);

  await ns.startRpcbind();
  ns.daemon.signal('SIGHUP');
  await ns.daemon.waitForMessage(/readjusting service rstatd/);
  const rows = await ns.waitForRows(2);
  const udp = portOf(rows, RSTAT_PROGRAM);
  assert.deepEqual(rows.sort(), [`${RSTAT_PROGRAM} 2 udp ${udp}`, `${RSTAT_PROGRAM} 3 udp ${udp}`]);
  const rup = await ns.client('rup', ['localhost']);
  assert.equal(rup.code, 0, rup.stderr);
  assert.match(rup.stdout, /\bup\b/);

  // rpcbind restarted cold (after a crash; a warm start, -w, would restore its table): it forgot
  // every registration, and a reload registers the service again.
  await ns.stopRpcbind();
  await ns.startRpcbind({ warm: false });
  assert.deepEqual((await ns.registrations()).filter((r) => r.startsWith(`${RSTAT_PROGRAM} `)), []);
  ns.daemon.signal('SIGHUP');
  await ns.waitForRegistrations([RSTAT_PROGRAM], [`${RSTAT_PROGRAM} 2 udp ${udp}`, `${RSTAT_PROGRAM} 3 udp ${udp}`]);
});

test('RPC configuration errors are xinetd\'s, at their file:line; an /etc/rpc alias names the program and `port` is not used', async (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'xinetd.conf');
  const entry = (name: string, body: string) => `service ${name}\n{\n${body}\twait = no\n\tuser = root\n\tserver = /bin/true\n}\n`;
  writeFileSync(file, [
    entry('r1', '\ttype = RPC UNLISTED\n\trpc_number = 300999\n\tsocket_type = stream\n\trpc_version = 5-2\n'),
    entry('r2', '\ttype = RPC UNLISTED\n\trpc_number = 12x\n\tsocket_type = stream\n\trpc_version = 1\n'),
    entry('r3', '\ttype = RPC UNLISTED\n\tsocket_type = stream\n\trpc_version = 1\n'),
    entry('notinetcrpc', '\ttype = RPC\n\tsocket_type = stream\n\trpc_version = 1\n'),
    entry('rusersd', '\ttype = RPC\n\tsocket_type = stream\n'),
    entry('rstat', '\ttype = RPC\n\tsocket_type = stream\n\trpc_version = 2-4\n\tport = 5000\n'),
    entry('r4', '\ttype = RPC UNLISTED\n\trpc_number = 4294967296\n\tsocket_type = stream\n\trpc_version = 1\n'),
  ].join(''));
  const { json } = await checkJson(file);
  const m = json.diagnostics.map((d) => `${d.at?.line} ${d.message}`);
  assert.deepEqual(m.filter((x) => !/DEBUG|removing/.test(x)).sort(), [
    '6 bad version range: 5',
    '6 Error parsing attribute rpc_version - DISABLING SERVICE',
    '14 Error parsing: 12x',
    '14 Error parsing attribute rpc_number - DISABLING SERVICE',
    '21 Service r3 missing attribute rpc_number - DISABLING',
    '30 unknown RPC service: notinetcrpc',
    '39 Service rusersd missing attribute rpc_version - DISABLING',
    '60 Error parsing: 4294967296',
    '60 Error parsing attribute rpc_number - DISABLING SERVICE',
  ].sort());
  const rstat = json.services.find((s) => s.name === 'rstat');
  assert.equal(rstat?.status, 'active');
  assert.equal(rstat?.port, undefined, 'the port is the kernel\'s choice, not known before binding');
});

test('a reload re-registers a changed version range on the same port, unregisters a removed service and registers an added one', async (t) => {
  const ns = await startWithRpcbind(({ log }) => defaults(log) + rstatd('2-4') + nullService);
  t.after(() => ns.stop());
  const before = await ns.waitForRows(4);
  const udp = portOf(before, RSTAT_PROGRAM);

  writeFileSync(join(ns.daemon.dir, 'xinetd.conf'), defaults(ns.daemon.serviceLog) + rstatd('3') + rstatd('2-3').replace('service rstatd', 'service rusersd').replace(RSTATD, '/bin/true'));
  ns.daemon.signal('SIGHUP');
  await ns.daemon.waitForMessage(/Reconfigured: new=1 old=1 dropped=1/);
  await ns.daemon.waitForMessage(/readjusting service rstatd/);
  await ns.daemon.waitForMessage(/service nullrpc deactivated/);
  const after = await ns.waitForRows(3);
  const added = portOf(after, RUSERS_PROGRAM);
  await ns.waitForRegistrations([RSTAT_PROGRAM, RUSERS_PROGRAM, NULL_PROGRAM], [
    `${RSTAT_PROGRAM} 3 udp ${udp}`, `${RUSERS_PROGRAM} 2 udp ${added}`, `${RUSERS_PROGRAM} 3 udp ${added}`,
  ]);

  ns.daemon.signal('SIGQUIT');
  await ns.waitForRegistrations([RSTAT_PROGRAM, RUSERS_PROGRAM], []);
});
