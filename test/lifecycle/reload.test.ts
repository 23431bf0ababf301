/**
 * SIGHUP reconfiguration (reference 16.3): unchanged services keep their sockets and running
 * servers, removed ones stop and their servers end, added ones start, a changed port re-binds,
 * an unreadable or broken configuration leaves the running one in place.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { alive, echoingSession, fixture, freePorts, hold, loggingDefaults, pidOf, service, streamService, tryConnect, waitForGone, waitForLines } from '../helpers/e2e.js';
import { startIdentServer } from '../helpers/logging-ident.js';
import { datagram, exchange } from '../helpers/net.js';

const cat = (name: string, port: number) => streamService(name, port, '/bin/cat');
const greeter = (name: string, port: number) => streamService(name, port, fixture('args.sh'), [`server_args = ${name}`]);

/** Rewrite the daemon's configuration, send SIGHUP, wait for reconfiguration number `n`. */
async function reload(d: RunningDaemon, text: string, n: number): Promise<string> {
  writeFileSync(join(d.dir, 'xinetd.conf'), text);
  d.signal('SIGHUP');
  const lines = await waitForLines(d.messages, /Reconfigured: |reconfiguration failed/, n);
  return lines[n - 1]!;
}

test('SIGHUP during a long-running connection to a /bin/cat service leaves it alive and echoing', async (t) => {
  const [pCat, pNew] = await freePorts(2);
  const d = await startDaemon(({ log }) => [loggingDefaults(log), cat('cat', pCat!)].join('\n'));
  t.after(() => d.stop());
  const c = await echoingSession(t, pCat!, 'before\n');
  const pid = pidOf(await d.waitForLog(/START: cat pid=/));

  // The same service plus a new one: `cat` is unchanged and must not be touched.
  assert.match(await reload(d, [loggingDefaults(d.serviceLog), cat('cat', pCat!), greeter('newcomer', pNew!)].join('\n'), 1), /Reconfigured: new=1 old=1 dropped=0/);
  c.socket.write('after\n');
  await c.expect(/^before\nafter\n$/);
  assert.ok(alive(pid), 'the server of the kept service still runs');
  assert.equal((await exchange(pCat!, 'fresh\n')).toString(), 'fresh\n', 'the kept socket still accepts');
  assert.equal((await exchange(pNew!)).toString(), '[newcomer]\n');
});

test('reload: an added service starts, a removed one stops listening and its server ends, a changed port re-binds', async (t) => {
  const [pKeep, pGone, pOld, pNewPort, pAdded] = await freePorts(5);
  const d = await startDaemon(({ log }) => [loggingDefaults(log), greeter('keep', pKeep!), cat('gone', pGone!), greeter('moved', pOld!)].join('\n'));
  t.after(() => d.stop());
  const held = await echoingSession(t, pGone!, 'x\n');
  const serverPid = pidOf(await d.waitForLog(/START: gone pid=/));

  const report = await reload(d, [loggingDefaults(d.serviceLog), greeter('keep', pKeep!), greeter('moved', pNewPort!), greeter('added', pAdded!)].join('\n'), 1);
  assert.match(report, /Reconfigured: new=2 old=1 dropped=2 \(services\)/);

  await held.closed();
  await waitForGone(serverPid);
  assert.equal(await tryConnect(pGone!, '127.0.0.1'), 'ECONNREFUSED');
  assert.equal(await tryConnect(pOld!, '127.0.0.1'), 'ECONNREFUSED');
  assert.equal((await exchange(pNewPort!)).toString(), '[moved]\n');
  assert.equal((await exchange(pAdded!)).toString(), '[added]\n');
  assert.equal((await exchange(pKeep!)).toString(), '[keep]\n');
  // xinetd's account of the reload, in its words and levels.
  await d.waitForMessage(/NOTICE: Swapping defaults$/);
  await d.waitForMessage(/NOTICE: readjusting service keep$/);
  await d.waitForMessage(new RegExp(`WARNING: Sending signal 9 to gone server ${serverPid}$`));
});

test('a reload whose configuration cannot be read or is broken keeps the running services and logs why', async (t) => {
  const [port] = await freePorts(1);
  const d = await startDaemon(({ log }) => [loggingDefaults(log), greeter('steady', port!)].join('\n'));
  t.after(() => d.stop());
  const conf = join(d.dir, 'xinetd.conf');

  renameSync(conf, `${conf}.away`);
  d.signal('SIGHUP');
  // xinetd's words and levels: the open() error, then the WARNING.
  assert.match((await waitForLines(d.messages, /reconfiguration failed/, 1))[0]!, /WARNING: reconfiguration failed$/);
  const missing = await d.waitForMessage(/ERROR: open\(/);
  assert.ok(missing.endsWith(`ERROR: open( ${conf} ) failed: No such file or directory (errno = 2)`), missing);
  assert.equal((await exchange(port!)).toString(), '[steady]\n');

  // A value error in defaults is fatal for a configuration (xinetd refuses to run it, and exits).
  renameSync(`${conf}.away`, conf);
  const broken = await reload(d, ['defaults\n{\n\tumask = 999\n}\n', greeter('other', port!)].join('\n'), 2);
  assert.match(broken, /WARNING: reconfiguration failed$/);
  const why = await d.waitForMessage(/umask argument is invalid/);
  assert.ok(why.endsWith(`[file=${conf}] [line=3]`), why);
  await d.waitForMessage(/ERROR: A fatal error was encountered while parsing the default section; keeping the running configuration$/);
  assert.equal((await exchange(port!)).toString(), '[steady]\n');
  // The same for a defaults' bind that does not resolve (before, every service lost its socket).
  const unresolvable = await reload(d, ['defaults\n{\n\tbind = no-such-host.invalid\n}\n', greeter('other', port!)].join('\n'), 3);
  assert.match(unresolvable, /WARNING: reconfiguration failed$/);
  assert.ok((await d.waitForMessage(/ERROR: bad address/)).endsWith(`[file=${conf}] [line=3]`));
  assert.equal((await exchange(port!)).toString(), '[steady]\n');
});

test('relative include paths resolve against the including file, before and after a reload', async (t) => {
  const [pA, pB] = await freePorts(2);
  const d = await startDaemon(({ log }) => [loggingDefaults(log), 'include ./sub.conf\n'].join('\n'), {
    files: { 'sub.conf': greeter('from-sub', pA!) },
  });
  t.after(() => d.stop());
  assert.equal((await exchange(pA!)).toString(), '[from-sub]\n');

  // The daemon now runs in /; the include must still find sub.conf next to xinetd.conf.
  writeFileSync(join(d.dir, 'sub.conf'), greeter('from-sub', pA!) + greeter('also-sub', pB!));
  const report = await reload(d, [loggingDefaults(d.serviceLog), 'include ./sub.conf\n'].join('\n'), 1);
  assert.match(report, /Reconfigured: new=1 old=1 dropped=0/);
  assert.equal((await exchange(pA!)).toString(), '[from-sub]\n');
  assert.equal((await exchange(pB!)).toString(), '[also-sub]\n');
});

test('a server started before a reload is logged with the log settings after it (its EXIT goes to the new file)', async (t) => {
  const [port] = await freePorts(1);
  const d = await startDaemon(({ dir }) => cat('cat', port!) .replace('{\n', `{\n\tlog_type = FILE ${dir}/A.log\n\tlog_on_success = PID EXIT\n`));
  t.after(() => d.stop());
  const held = await echoingSession(t, port!, 'x\n');
  const pid = pidOf(await waitForLines(join(d.dir, 'A.log'), /START: cat pid=/, 1).then((l) => l[0]!));
  await reload(d, cat('cat', port!).replace('{\n', `{\n\tlog_type = FILE ${d.dir}/B.log\n\tlog_on_success = PID EXIT\n`), 1);
  held.socket.end();
  await held.closed();
  // As xinetd: the EXIT of the server started before the reload is written where the service
  // logs now; the file the configuration no longer names gets nothing more.
  await waitForLines(join(d.dir, 'B.log'), new RegExp(`EXIT: cat status=0 pid=${pid}`), 1);
  assert.deepEqual((await waitForLines(join(d.dir, 'A.log'), /./, 1)).map((l) => l.replace(/^\S+ /, '')), [`START: cat pid=${pid}`]);
});

test('a service that cannot bind on reload is not counted as new (`new=` counts the services that started, as xinetd)', async (t) => {
  const [pKeep, pTaken, pFree] = await freePorts(3);
  const d = await startDaemon(({ log }) => [loggingDefaults(log), greeter('keep', pKeep!)].join('\n'));
  t.after(() => d.stop());
  // Another program holds the port the reload asks for.
  const squatter = net.createServer().listen(pTaken!, '0.0.0.0');
  await once(squatter, 'listening');
  t.after(() => squatter.close());
  const text = [loggingDefaults(d.serviceLog), greeter('keep', pKeep!), greeter('blocked', pTaken!), greeter('fresh', pFree!)].join('\n');

  assert.match(await reload(d, text, 1), /Reconfigured: new=1 old=1 dropped=0 \(services\)$/);
  await d.waitForMessage(/ERROR: Service blocked failed to start and is deactivated\.$/);
  assert.equal((await exchange(pFree!)).toString(), '[fresh]\n');

  // Once the port is free, the next reload starts it: it is new then.
  await new Promise((resolve) => squatter.close(resolve));
  assert.match(await reload(d, text, 2), /Reconfigured: new=1 old=2 dropped=0 \(services\)$/);
  assert.equal((await exchange(pTaken!)).toString(), '[blocked]\n');
});

test('a reload that changes only the case of an id readjusts the service as it was named; the EXIT of a running server takes the new id', async (t) => {
  const [port] = await freePorts(1);
  const named = (id: string) => streamService('foo', port!, '/bin/cat', [`id = ${id}`]);
  const d = await startDaemon(({ log }) => [loggingDefaults(log), named('bar')].join('\n'));
  t.after(() => d.stop());
  const held = await echoingSession(t, port!, 'x\n');
  const pid = pidOf(await d.waitForLog(/START: bar pid=/));

  assert.match(await reload(d, [loggingDefaults(d.serviceLog), named('BAR')].join('\n'), 1), /Reconfigured: new=0 old=1 dropped=0/);
  // ids match case-insensitively; xinetd names the service by the id it had.
  await d.waitForMessage(/NOTICE: readjusting service bar$/);
  held.socket.end();
  await held.closed();
  // xinetd writes EXIT when it reaps the server, under the id of the configuration then.
  assert.match(await d.waitForLog(new RegExp(`EXIT: \\S+ status=0 pid=${pid}`)), new RegExp(`EXIT: BAR status=0 pid=${pid}$`));
  assert.equal((await exchange(port!, 'y\n')).toString(), 'y\n');
  await d.waitForLog(/START: BAR pid=/);
});

test('a reload that narrows only_from and instances keeps the running servers it no longer allows (xinetd 2.3.15, not its manual); new clients are judged by the new rules', async (t) => {
  const [port] = await freePorts(1);
  const catWith = (extra: string[]) => streamService('cat', port!, '/bin/cat', extra);
  const d = await startDaemon(({ log }) => [loggingDefaults(log), catWith(['instances = 5'])].join('\n'));
  t.after(() => d.stop());
  const outsider = await hold(port!, '127.0.0.1', '127.0.0.2');
  const insiders = [await hold(port!), await hold(port!)];
  const all = [outsider, ...insiders];
  t.after(() => all.forEach((c) => c.end()));
  for (const c of all) {
    c.socket.write('before\n');
    await c.expect(/^before\n$/);
  }

  assert.match(await reload(d, [loggingDefaults(d.serviceLog), catWith(['instances = 1', 'only_from = 127.0.0.1'])].join('\n'), 1), /Reconfigured: new=0 old=1 dropped=0/);
  // xinetd's manual promises a re-check of running servers (address, times, instances); 2.3.15
  // does none: every session goes on, the refused address's one included.
  for (const c of all) {
    c.socket.write('after\n');
    await c.expect(/^before\nafter\n$/);
  }
  assert.equal((await exchange(port!, 'x\n', { localAddress: '127.0.0.2' })).toString(), '');
  await d.waitForLog(/FAIL: cat address from=::ffff:127\.0\.0\.2$/);
  // Three servers run; the new limit is one.
  assert.equal((await exchange(port!, 'x\n')).toString(), '');
  await d.waitForLog(/FAIL: cat service_limit from=::ffff:127\.0\.0\.1$/);
});

test('v6only belongs to the socket of an IPv6 service (re-created, servers killed) and changes nothing for an IPv4 one (readjusted)', async (t) => {
  const [p4, p6] = await freePorts(2);
  const services = (extra: string[]) => [streamService('v4', p4!, '/bin/cat', ['flags = IPv4', ...extra]), streamService('v6', p6!, '/bin/cat', ['flags = IPv6', ...extra])];
  const d = await startDaemon(({ log }) => [loggingDefaults(log), ...services([])].join('\n'));
  t.after(() => d.stop());
  const held = [await hold(p4!), await hold(p6!)];
  t.after(() => held.forEach((c) => c.end()));
  for (const c of held) {
    c.socket.write('x\n');
    await c.expect(/^x\n$/);
  }
  const v4 = pidOf(await d.waitForLog(/START: v4 pid=/));
  const v6 = pidOf(await d.waitForLog(/START: v6 pid=/));

  assert.match(await reload(d, [loggingDefaults(d.serviceLog), ...services(['v6only = yes'])].join('\n'), 1), /Reconfigured: new=1 old=1 dropped=1/);
  await d.waitForMessage(/NOTICE: readjusting service v4$/);
  await waitForGone(v6);
  assert.ok(alive(v4), 'the IPv4 service kept its server');
  held[0]!.socket.write('y\n');
  await held[0]!.expect(/^x\ny\n$/);
  // The IPv6 socket is what the configuration says now: IPv6 only.
  assert.equal(await tryConnect(p6!, '127.0.0.1'), 'ECONNREFUSED');
  assert.equal((await exchange(p6!, 'z\n', { host: '::1' })).toString(), 'z\n');
});

test('an includedir edit: a file cut before its } and one with a syntax error drop only their services; a removed file stops its service, an added one starts', async (t) => {
  const [pA, pB, pC, pD, pE] = await freePorts(5);
  const files = { a: greeter('a', pA!), b: cat('b', pB!), c: greeter('c', pC!), d: greeter('d', pD!) };
  const d = await startDaemon(({ log, dir }) => {
    mkdirSync(join(dir, 'xinetd.d'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'xinetd.d', name), text);
    return [loggingDefaults(log), `includedir ${dir}/xinetd.d\n`].join('\n');
  });
  t.after(() => d.stop());
  const dir = join(d.dir, 'xinetd.d');
  await echoingSession(t, pB!, 'x\n');
  const serverPid = pidOf(await d.waitForLog(/START: b pid=/));

  // The edits a sysadmin gets wrong: b loses its closing brace, d gets `port=` and loses its brace too.
  writeFileSync(join(dir, 'b'), files.b.replace(/\}\n$/, ''));
  writeFileSync(join(dir, 'd'), files.d.replace('port = ', 'port=').replace(/\}\n$/, ''));
  rmSync(join(dir, 'c'));
  writeFileSync(join(dir, 'e'), greeter('e', pE!));
  assert.match(await reload(d, readFileSync(join(d.dir, 'xinetd.conf'), 'utf8'), 1), /Reconfigured: new=1 old=1 dropped=3/);

  await waitForGone(serverPid);
  assert.equal((await exchange(pA!)).toString(), '[a]\n');
  assert.equal((await exchange(pE!)).toString(), '[e]\n');
  for (const port of [pB!, pC!, pD!]) assert.equal(await tryConnect(port, '127.0.0.1'), 'ECONNREFUSED');
  // xinetd's words, at the file's last line, each warning right after its error.
  const lines = readFileSync(d.messages, 'utf8').split('\n').map((l) => l.replace(/^.*?: (?=[A-Z]+: )/, ''));
  const at = (file: string, line: number) => `[file=${join(dir, file)}] [line=${line}]`;
  const expectPair = (first: string, second: string) => {
    const i = lines.indexOf(first);
    assert.ok(i >= 0 && lines[i + 1] === second, `${first}\n${second}\nin:\n${lines.join('\n')}`);
  };
  expectPair(`ERROR: incomplete entry ${at('b', 9)}`, `WARNING: missing } in last service entry ${at('b', 9)}`);
  expectPair(`ERROR: Attribute port needs a space before operator ${at('d', 7)}`, `WARNING: missing } in last service entry ${at('d', 10)}`);
});

/** Whether a UDP socket without SO_REUSEADDR can bind `port` on every address (nobody holds it). */
async function udpPortFree(port: number): Promise<boolean> {
  const socket = dgram.createSocket({ type: 'udp6', reuseAddr: false });
  try {
    socket.bind(port, '::');
    await once(socket, 'listening');
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') return false;
    throw error;
  } finally {
    socket.close();
  }
}

test("Debian's echo and echo-udp files (one echo-dgram id twice on a port): both run, and a reload that disables them frees the port", async (t) => {
  const [port] = await freePorts(1);
  // The shapes of /etc/xinetd.d/echo (stream + dgram) and echo-udp (the dgram entry again).
  const entry = (id: string, socket: string, disable: string) =>
    service('echo', [`disable = ${disable}`, 'type = INTERNAL UNLISTED', `id = ${id}`, `socket_type = ${socket}`, `protocol = ${socket === 'stream' ? 'tcp' : 'udp'}`, 'user = root', `wait = ${socket === 'stream' ? 'no' : 'yes'}`, `port = ${port}`]);
  const files = (disable: string) => ({
    'xinetd.d/echo': entry('echo-stream', 'stream', disable) + '\n' + entry('echo-dgram', 'dgram', disable),
    'xinetd.d/echo-udp': `# default: off\n${entry('echo-dgram', 'dgram', disable)}`,
  });
  const d = await startDaemon(({ dir }) => `includedir ${dir}/xinetd.d\n`, { files: files('no') });
  t.after(() => d.stop());
  // xinetd 2.3.15: `Started working: 3 available services`, both UDP sockets bound.
  await d.waitForMessage(/Started working: 3 available services$/, 1000);
  assert.equal((await datagram(port!, 'hi')).toString(), 'hi');

  for (const [name, text] of Object.entries(files('yes'))) writeFileSync(join(d.dir, name), text);
  d.signal('SIGHUP');
  const [report] = await waitForLines(d.messages, /Reconfigured: /, 1);
  // xinetd: `Reconfigured: new=0 old=0 dropped=3`; the second echo-dgram socket was kept before.
  assert.match(report!, /Reconfigured: new=0 old=0 dropped=3 \(services\)/);
  assert.equal(await tryConnect(port!, '127.0.0.1'), 'ECONNREFUSED');
  assert.equal(await udpPortFree(port!), true, 'no echo-dgram socket outlives the reload');
});

test('a connection still on its way (an ident lookup) when a reload removes its service: its server is ended as the running ones are', async (t) => {
  const [pSlow, pOther] = await freePorts(2);
  let queried!: () => void;
  const query = new Promise<void>((resolve) => (queried = resolve));
  let answer!: (line: string) => void;
  const reply = new Promise<string>((resolve) => (answer = resolve));
  // The lookup goes to the client's address: the reply comes when the test says.
  const identd = await startIdentServer('127.0.0.73', (r, l) => (queried(), reply.then((text) => `${r},${l}${text}`)));
  t.after(() => identd.stop());
  const withUserid = (log: string) => `${loggingDefaults(log)}\nservice slow\n{\n\ttype = UNLISTED\n\tsocket_type = stream\n\twait = no\n\tuser = nobody\n\tport = ${pSlow}\n\tserver = /bin/cat\n\tlog_on_success += USERID\n}\n`;
  const d = await startDaemon(({ log }) => withUserid(log));
  t.after(() => d.stop());

  const client = await hold(pSlow!, '127.0.0.1', '127.0.0.73');
  t.after(() => client.end());
  client.socket.write('x\n');
  await query;
  assert.match(await reload(d, [loggingDefaults(d.serviceLog), cat('other', pOther!)].join('\n'), 1), /Reconfigured: new=1 old=0 dropped=1/);
  answer(':USERID:UNIX:late');

  // The server starts once the lookup is done, for a service gone: it gets the reload's signal.
  const pid = pidOf(await d.waitForLog(/START: slow pid=/));
  await client.closed();
  await waitForGone(pid);
  assert.match(await d.waitForLog(/EXIT: slow/), /EXIT: slow signal=9 /);
  await d.waitForMessage(new RegExp(`Sending signal 9 to slow server ${pid}$`));
  assert.equal((await exchange(pOther!, 'still\n')).toString(), 'still\n');
});

test('connections still on their way when their service was removed and added again: their cps trip does not switch off the new service', async (t) => {
  const [port] = await freePorts(1);
  let queries = 0;
  let bothQueried!: () => void;
  const queried = new Promise<void>((resolve) => (bothQueried = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const identd = await startIdentServer('127.0.0.74', (r, l) => {
    if (++queries === 2) bothQueried();
    return released.then(() => `${r},${l}:USERID:UNIX:late`);
  });
  t.after(() => identd.stop());
  const rate = (log: string) => `${loggingDefaults(log)}\nservice rate\n{\n\ttype = UNLISTED\n\tsocket_type = stream\n\twait = no\n\tuser = nobody\n\tport = ${port}\n\tserver = /bin/cat\n\tcps = 1 30\n\tlog_on_success += USERID\n}\n`;
  const d = await startDaemon(({ log }) => rate(log));
  t.after(() => d.stop());

  // Two connections wait for their ident lookups; the service goes away and comes back.
  const waiting = [await hold(port!, '127.0.0.1', '127.0.0.74'), await hold(port!, '127.0.0.1', '127.0.0.74')];
  t.after(() => waiting.forEach((c) => c.end()));
  await queried;
  assert.match(await reload(d, loggingDefaults(d.serviceLog), 1), /Reconfigured: new=0 old=0 dropped=1/);
  assert.match(await reload(d, rate(d.serviceLog), 2), /Reconfigured: new=1 old=0 dropped=0/);
  release();

  // The second of the old service's connections is over its rate: refused, and that is all.
  await d.waitForLog(/FAIL: rate connections per second/);
  for (const c of waiting) await c.closed();
  assert.equal((await exchange(port!, 'new\n')).toString(), 'new\n', 'the service added again still accepts');
  const messages = readFileSync(d.messages, 'utf8').split('\n');
  assert.equal(messages.filter((l) => /Deactivating service rate/.test(l)).length, 0, messages.join('\n'));
});
