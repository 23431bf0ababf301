/**
 * stream wait = no servers started by the real CLI through the launcher: descriptors, argv,
 * environment, credentials and limits, as a server observes them (reference 11).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { fixture, freePorts, loggingDefaults, streamService } from '../helpers/e2e.js';
import { exchange } from '../helpers/net.js';

const MARK = 'xinetd-ts-e2e-mark';
let d: RunningDaemon;
const port: Record<string, number> = {};

const NAMES = ['fds', 'addresses', 'argv', 'nameFirst', 'nameLast', 'literal', 'envAll', 'envEmpty', 'envAdded', 'envOrder', 'creds', 'unlimited', 'huge', 'groupsYes', 'groupsNoPasswd', 'rootNice'] as const;

before(async () => {
  const ports = await freePorts(NAMES.length);
  NAMES.forEach((n, i) => (port[n] = ports[i]!));
  d = await startDaemon(({ log }) => [
    loggingDefaults(log),
    streamService('fds', port.fds!, fixture('fds.sh')),
    streamService('addresses', port.addresses!, fixture('addresses.sh')),
    streamService('argv', port.argv!, fixture('args.sh'), ['server_args = one two  three']),
    streamService('name-first', port.nameFirst!, '/bin/cat', ['flags = NAMEINARGS', 'server_args = FAKENAME /proc/self/cmdline']),
    streamService('name-last', port.nameLast!, '/bin/cat', ['server_args = OTHERNAME /proc/self/cmdline', 'flags = NAMEINARGS']),
    streamService('literal', port.literal!, fixture('args.sh'), ['server_args = # "a b" $HOME']),
    streamService('env-all', port.envAll!, '/usr/bin/env'),
    streamService('env-empty', port.envEmpty!, '/usr/bin/env', ['passenv =', 'env = A=1 B=two']),
    streamService('env-added', port.envAdded!, '/usr/bin/env', ['env = A=1']),
    streamService('env-order', port.envOrder!, '/usr/bin/env', ['passenv = XTS_MARK PATH XTS_MARK', 'env = Z=1 A=2 PATH=/bin']),
    streamService('creds', port.creds!, fixture('limits.sh'), ['group = daemon', 'umask = 027', 'nice = 5', 'rlimit_cpu = 20', 'rlimit_files = 77', 'rlimit_as = 512M']),
    streamService('unlimited', port.unlimited!, fixture('limits.sh'), ['rlimit_as = UNLIMITED', 'rlimit_cpu = UNLIMITED', 'rlimit_data = UNLIMITED', 'rlimit_rss = UNLIMITED', 'rlimit_stack = unlimited', 'rlimit_files = UNLIMITED']),
    streamService('huge', port.huge!, fixture('limits.sh'), ['rlimit_cpu = 9007199254740993', 'rlimit_data = -1', 'rlimit_stack = +16384K']),
    streamService('groups-yes', port.groupsYes!, fixture('limits.sh'), ['group = daemon', 'groups = yes']),
    streamService('groups-nopw', port.groupsNoPasswd!, fixture('args.sh'), ['groups = yes', 'server_args = never'], '4242'),
    streamService('root-nice', port.rootNice!, fixture('limits.sh'), ['nice = -3'], 'root'),
  ].join('\n'), { env: { ...process.env, XTS_MARK: MARK } });
});

after(() => d.stop());

const fetch = async (name: keyof typeof port) => (await exchange(port[name]!)).toString();
const fields = (text: string) => new Map(text.trim().split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]));

test('the accepted socket is fds 0, 1 and 2 of the server, in blocking mode', async () => {
  const out = await fetch('fds');
  const flags = /^fd0-flags (\d+)$/m.exec(out);
  assert.ok(flags, out);
  assert.equal(parseInt(flags[1]!, 8) & 0o4000, 0, `O_NONBLOCK is set on fd 0: ${out}`);
  // The listing (fd N -> target) shows what the server was started with.
  const links = new Map([...out.matchAll(/ (\d+) -> (.*)$/gm)].map((m) => [Number(m[1]), m[2]!]));
  assert.match(links.get(0) ?? '', /^socket:\[\d+\]$/, out);
  assert.equal(links.get(1), links.get(0), out);
  assert.equal(links.get(2), links.get(0), out);
});

test('no descriptor of the daemon leaks into the server', async () => {
  const out = await fetch('fds');
  // `ls -l /proc/self/fd/` replaced the shell: 0-2 are the socket, one more is ls's directory.
  const fds = [...out.matchAll(/^\S+\s+\d+\s+\S+\s+\S+\s+\d+\s+.*?\s(\d+) -> (.*)$/gm)].map((m) => ({ fd: Number(m[1]), target: m[2]! }));
  assert.deepEqual(fds.slice(0, 3).map((f) => f.fd), [0, 1, 2], out);
  const extra = fds.filter((f) => f.fd > 2);
  assert.ok(extra.length <= 1, `unexpected descriptors: ${JSON.stringify(extra)}`);
  for (const f of extra) assert.match(f.target, /^\/proc\/\d+\/fd$/, `leaked descriptor ${f.fd} -> ${f.target}`);
});

test('an IPv4 client of the dual-stack socket: the server sees an AF_INET socket (IPV6_ADDRFORM, as xinetd)', async () => {
  assert.equal((await exchange(port.addresses!)).toString(), 'peer AF_INET 127.0.0.1\nlocal AF_INET 127.0.0.1\n');
  // REMOTE_HOST and the log keep xinetd's mapped form (the address as accepted).
  assert.match(await d.waitForLog(/START: addresses pid=\d+ from=/), /from=::ffff:127\.0\.0\.1$/);
  assert.equal((await exchange(port.addresses!, undefined, { host: '::1' })).toString(), 'peer AF_INET6 ::1\nlocal AF_INET6 ::1\n');
});

test('server_args become argv[1..], split on blanks', async () => {
  assert.equal(await fetch('argv'), '[one]\n[two]\n[three]\n');
});

test('NAMEINARGS written before server_args: the first token is argv[0]', async () => {
  assert.equal(await fetch('nameFirst'), 'FAKENAME\0/proc/self/cmdline\0');
});

test('NAMEINARGS written after server_args works the same (any attribute order)', async () => {
  assert.equal(await fetch('nameLast'), 'OTHERNAME\0/proc/self/cmdline\0');
});

test('server_args: #, quotes and $ are literal (no shell, no quoting)', async () => {
  assert.equal(await fetch('literal'), '[#]\n["a]\n[b"]\n[$HOME]\n');
});

test('no passenv: the daemon environment plus REMOTE_HOST, the from= address', async () => {
  const env = envOf(await fetch('envAll'));
  assert.equal(env.get('XTS_MARK'), MARK);
  assert.equal(env.get('REMOTE_HOST'), '::ffff:127.0.0.1');
  assert.equal(env.get('PATH'), process.env.PATH);
  const start = await d.waitForLog(/START: env-all pid=\d+ from=/);
  assert.match(start, /from=::ffff:127\.0\.0\.1$/);
});

test('passenv = (empty): only the env strings and REMOTE_HOST', async () => {
  const lines = (await fetch('envEmpty')).trim().split('\n').sort();
  assert.deepEqual(lines, ['A=1', 'B=two', 'REMOTE_HOST=::ffff:127.0.0.1']);
});

test('env = A=1 is added to the daemon environment', async () => {
  const env = envOf(await fetch('envAdded'));
  assert.equal(env.get('A'), '1');
  assert.equal(env.get('XTS_MARK'), MARK);
  assert.equal(env.get('REMOTE_HOST'), '::ffff:127.0.0.1');
});

test('passenv: its variables in the order it lists them, each once, then env strings, then REMOTE_HOST', async () => {
  // The daemon's environment has PATH before XTS_MARK; env overrides PATH where it stands.
  const names = (await fetch('envOrder')).trim().split('\n').map((l) => l.slice(0, l.indexOf('=')));
  assert.deepEqual(names, ['XTS_MARK', 'PATH', 'Z', 'A', 'REMOTE_HOST']);
  assert.equal(envOf(await fetch('envOrder')).get('PATH'), '/bin');
});

test('user, group, umask, nice and rlimits are applied before exec', async () => {
  const f = fields(await fetch('creds'));
  assert.equal(f.get('uid'), '65534');
  assert.equal(f.get('gid'), '1');
  assert.equal(f.get('groups'), '1', 'groups = no (default): no supplementary groups');
  assert.equal(f.get('umask'), '0027');
  assert.equal(f.get('nofile'), '77');
  assert.equal(f.get('cpu'), '20');
  assert.equal(f.get('as'), String(512 * 1024));
  assert.equal(Number(f.get('nice')), ownNice() + 5);
});

test('rlimit_* = UNLIMITED: RLIM_INFINITY, soft and hard; an impossible UNLIMITED (files) leaves the limit as it was', async () => {
  const f = fields(await fetch('unlimited'));
  for (const name of ['as', 'cpu', 'data', 'rss', 'stack', 'stack-hard']) assert.equal(f.get(name), 'unlimited', `${name}: ${JSON.stringify([...f])}`);
  // setrlimit(RLIMIT_NOFILE, RLIM_INFINITY) fails (above nr_open), as under xinetd: soft = hard as usual.
  assert.equal(f.get('nofile'), String(ownHardNofile()));
});

test('rlimit_* values are 64-bit as in xinetd: beyond 2^53 exactly, a sign allowed, -1 is RLIM_INFINITY', async () => {
  const f = fields(await fetch('huge'));
  assert.equal(f.get('cpu'), '9007199254740993');
  assert.equal(f.get('data'), 'unlimited');
  assert.equal(f.get('stack'), '16384');
});

test('groups = yes: initgroups with the user name and its passwd gid', async () => {
  const f = fields(await fetch('groupsYes'));
  assert.equal(f.get('uid'), '65534');
  assert.equal(f.get('gid'), '1');
  // initgroups("nobody", 65534): nobody's primary group becomes a supplementary one.
  assert.deepEqual(f.get('groups')?.split(' ').sort(), ['1', '65534']);
});

test('groups = yes for a uid without a passwd entry: not started, logged as xinetd does, EXIT status=1', async () => {
  assert.equal(await fetch('groupsNoPasswd'), '', 'the client is closed without output');
  assert.match(await d.waitForMessage(/getpwuid/), /ERROR: getpwuid\( 4242 \) \(service=groups-nopw\) failed: Success \(errno = 0\)$/);
  assert.match(await d.waitForLog(/EXIT: groups-nopw /), /EXIT: groups-nopw status=1 pid=\d+$/);
});

test('a root service may lower its nice value; umask defaults to the daemon umask | 022', async () => {
  const f = fields(await fetch('rootNice'));
  assert.equal(f.get('uid'), '0');
  assert.equal(Number(f.get('nice')), Math.max(-20, ownNice() - 3));
  assert.equal(parseInt(f.get('umask')!, 8) & 0o022, 0o022);
});

/** `NAME=value` lines (env's output) as a map. */
function envOf(text: string): Map<string, string> {
  return new Map(text.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** This process's nice value (field 19 of /proc/self/stat); the daemon inherits it. */
function ownNice(): number {
  const stat = readFileSync('/proc/self/stat', 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

/** This process's hard RLIMIT_NOFILE; the daemon inherits it, and servers get soft = hard. */
function ownHardNofile(): number {
  const line = readFileSync('/proc/self/limits', 'latin1').split('\n').find((l) => l.startsWith('Max open files'));
  return Number(line?.split(/\s{2,}/)[2]);
}
