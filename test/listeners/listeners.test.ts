/**
 * Listening sockets as clients see them (reference 12): the default dual-stack socket, the
 * IPv4 flag, bind/interface, v6only, NODELAY/KEEPALIVE on the accepted socket, and udp.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { fixture, freePorts, loggingDefaults, service, streamService, tryConnect } from '../helpers/e2e.js';
import { datagram, exchange } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

let d: RunningDaemon;
const port: Record<string, number> = {};
const NAMES = ['dual', 'ipv4', 'bind', 'iface', 'v6yes', 'v6no', 'opts', 'plain', 'udpDual', 'udp4'] as const;

before(async () => {
  const ports = await freePorts(NAMES.length);
  NAMES.forEach((n, i) => (port[n] = ports[i]!));
  const echo = (name: string, p: number, extra: string[] = []) => streamService(name, p, fixture('args.sh'), [`server_args = ${name}`, ...extra]);
  const udp = (name: string, p: number, extra: string[] = []) =>
    service(name, ['type = UNLISTED', 'socket_type = dgram', 'protocol = udp', 'wait = yes', `port = ${p}`, 'user = nobody', `server = ${fixture('udp-reply.sh')}`, ...extra]);
  d = await startDaemon(({ log }) => [
    loggingDefaults(log),
    echo('dual', port.dual!),
    echo('ipv4', port.ipv4!, ['flags = IPv4']),
    echo('bind', port.bind!, ['bind = 127.0.0.1']),
    echo('iface', port.iface!, ['interface = ::1']),
    echo('v6yes', port.v6yes!, ['v6only = yes']),
    echo('v6no', port.v6no!, ['v6only = no']),
    streamService('opts', port.opts!, fixture('sockopts.sh'), ['flags = NODELAY KEEPALIVE']),
    streamService('plain', port.plain!, fixture('sockopts.sh')),
    udp('udp-dual', port.udpDual!),
    udp('udp4', port.udp4!, ['flags = IPv4']),
  ].join('\n'));
});

after(() => d.stop());

/** Connect from `host`, expect the service's greeting, and return its new START record. */
async function served(name: keyof typeof port, id: string, host: string): Promise<string> {
  const starts = async () => (await d.logLines()).filter((l) => l.includes(`START: ${id} `));
  const seen = (await starts()).length;
  assert.equal((await exchange(port[name]!, undefined, { host })).toString(), `[${id}]\n`);
  return waitFor(`START record ${seen + 1} of ${id}`, async () => (await starts())[seen], { file: d.serviceLog });
}

test('default socket is dual-stack: IPv4 clients are logged as ::ffff:a.b.c.d, IPv6 clients as themselves', async () => {
  assert.match(await served('dual', 'dual', '127.0.0.1'), /from=::ffff:127\.0\.0\.1$/);
  assert.match(await served('dual', 'dual', '::1'), /from=::1$/);
});

test('flags = IPv4: an IPv4 socket, clients logged as 127.0.0.1, no IPv6', async () => {
  assert.match(await served('ipv4', 'ipv4', '127.0.0.1'), /from=127\.0\.0\.1$/);
  assert.equal(await tryConnect(port.ipv4!, '::1'), 'ECONNREFUSED');
});

test('bind = 127.0.0.1 listens on that address only', async () => {
  assert.match(await served('bind', 'bind', '127.0.0.1'), /from=127\.0\.0\.1$/);
  assert.equal(await tryConnect(port.bind!, '127.0.0.2'), 'ECONNREFUSED');
  assert.equal(await tryConnect(port.bind!, '::1'), 'ECONNREFUSED');
});

test('interface = ::1 is bind under its other name', async () => {
  assert.match(await served('iface', 'iface', '::1'), /from=::1$/);
  assert.equal(await tryConnect(port.iface!, '127.0.0.1'), 'ECONNREFUSED');
});

test('v6only = yes refuses IPv4 clients', async () => {
  assert.match(await served('v6yes', 'v6yes', '::1'), /from=::1$/);
  assert.equal(await tryConnect(port.v6yes!, '127.0.0.1'), 'ECONNREFUSED');
});

test('v6only = no stays dual-stack (xinetd would make it IPv6-only; a documented difference)', async () => {
  assert.match(await served('v6no', 'v6no', '127.0.0.1'), /from=::ffff:127\.0\.0\.1$/);
  assert.match(await served('v6no', 'v6no', '::1'), /from=::1$/);
});

test('flags = NODELAY KEEPALIVE set TCP_NODELAY and SO_KEEPALIVE on the socket the server gets', async () => {
  assert.equal((await exchange(port.opts!)).toString(), 'nodelay 1 keepalive 1\n');
  assert.match((await exchange(port.plain!)).toString(), /keepalive 0\n$/);
});

test('dgram services listen on udp, dual-stack by default', async () => {
  assert.match((await datagram(port.udpDual!, 'v4')).toString(), /^reply \d+ v4$/);
  assert.match(await d.waitForLog(/START: udp-dual .*from=::ffff:127\.0\.0\.1$/), /::ffff:127\.0\.0\.1$/);
  await d.waitForLog(/EXIT: udp-dual /);
  assert.match((await datagram(port.udpDual!, 'v6', { host: '::1' })).toString(), /^reply \d+ v6$/);
  assert.match(await d.waitForLog(/START: udp-dual .*from=::1$/), /::1$/);
  assert.equal(await tryConnect(port.udpDual!, '127.0.0.1', 1000), 'ECONNREFUSED', 'nothing listens on tcp');
});

test('dgram with flags = IPv4: clients logged as 127.0.0.1', async () => {
  assert.match((await datagram(port.udp4!, 'x')).toString(), /^reply \d+ x$/);
  assert.match(await d.waitForLog(/START: udp4 /), /from=127\.0\.0\.1$/);
});

test('bind and interface are one attribute: a service\'s interface beats the defaults\' bind; the second of the two is "already set"', async (t) => {
  const [pA, pB] = await freePorts(2);
  const echo = (name: string, p: number, extra: string[]) => streamService(name, p, fixture('args.sh'), [`server_args = ${name}`, ...extra]);
  const e = await startDaemon(({ log }) => [
    loggingDefaults(log, ['bind = 127.0.0.4']),
    echo('own', pA!, ['interface = 127.0.0.3']),
    echo('both', pB!, ['interface = 127.0.0.3', 'bind = 127.0.0.2']),
  ].join('\n'));
  t.after(() => e.stop());
  // Before, the defaults' bind won: the service listened on 127.0.0.4, where it was not meant to be.
  assert.equal((await exchange(pA!, undefined, { host: '127.0.0.3' })).toString(), '[own]\n');
  assert.equal(await tryConnect(pA!, '127.0.0.4'), 'ECONNREFUSED');
  assert.equal((await exchange(pB!, undefined, { host: '127.0.0.3' })).toString(), '[both]\n');
  assert.equal(await tryConnect(pB!, '127.0.0.2'), 'ECONNREFUSED');
  await e.waitForMessage(/WARNING: Service both: attribute already set: bind \[file=.*\] \[line=\d+\]$/);
});

test('flags = IPv4 IPv6: xinetd\'s INFO line, without a location, and a dual-stack socket', async (t) => {
  const [p] = await freePorts(1);
  const e = await startDaemon(({ log }) => [loggingDefaults(log), streamService('both', p!, fixture('args.sh'), ['server_args = both', 'flags = IPv4 IPv6'])].join('\n'));
  t.after(() => e.stop());
  await e.waitForMessage(/INFO: Service both will use IPv6 or fallback to IPv4$/);
  assert.equal((await exchange(p!, undefined, { host: '::1' })).toString(), '[both]\n');
  assert.equal((await exchange(p!, undefined, { host: '127.0.0.1' })).toString(), '[both]\n');
});
