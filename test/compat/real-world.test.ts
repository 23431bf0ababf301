/**
 * A sysadmin's own /etc/xinetd.d brought over to xinetd-ts, checked side by side with xinetd 2.3.15
 * (the harness of test/helpers/differential.ts): the service files packages ship and admins write
 * (test/fixtures/conf/real-world), first as they are on their standard ports, then moved to the
 * test's ports with real clients: tftp against in.tftpd, git against git-daemon, the others on
 * loopback.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, tempDir, type RunningDaemon } from '../helpers/daemon.js';
import { includedirLocated, killedByReload, locatedChecks, logged, refusedBeforeLaunch, sameRecords, servedInProcess } from '../helpers/differential.js';
import { alive, hold, run } from '../helpers/e2e.js';
import { datagram, exchange } from '../helpers/net.js';

const FILES = join(ROOT, 'test/fixtures/conf/real-world');

/** xinetd.conf as the host has it, logging to `log` and including `dir`/xinetd.d. */
function mainConf(log: string, dir: string): string {
  return readFileSync(join(FILES, 'xinetd.conf'), 'utf8')
    .replace(/^(\s*log_type\s*=).*$/m, `$1 FILE ${log}`)
    .replace(/^includedir .*$/m, `includedir ${dir}/xinetd.d`);
}

/** The service files, every name of the directory (dpkg leftovers too), changed by `edit`. */
function serviceFiles(edit: (text: string) => string = (text) => text): Record<string, string> {
  return Object.fromEntries(readdirSync(join(FILES, 'xinetd.d')).map((name) =>
    [`xinetd.d/${name}`, edit(readFileSync(join(FILES, 'xinetd.d', name), 'utf8'))]));
}

/** The entry's `disable` line set to `value`. */
function disabled(text: string, value: 'yes' | 'no'): string {
  return text.replace(/^(\s*disable\s*=\s*)\S+/m, `$1${value}`);
}

/** The services the files name, in the order of the test's ports. */
const NAMES = ['rsync', 'tftp', 'git', 'nrpe', 'check_mk', 'cvspserver', 'telnet', 'login', 'status', 'smtp-relay', 'auth', 'mysqlchk', 'swat', 'finger'];
/** The port, after the services' ones, of the mail relay's new machine (a server of the test's). */
const MAIL_HOST = NAMES.length;

/**
 * Stand-ins, written by the test, for the servers that are not installed here (cvs and nrpe stay
 * missing: what both daemons say about them is compared), and the data the servers serve.
 */
const HOST_FILES: Record<string, string> = {
  // rsync --daemon's greeting, and its module list for `#list`.
  'bin/rsync': '#!/bin/sh\necho "@RSYNCD: 31.0"\nread -r version || exit 0\nread -r request || exit 0\n[ "$request" = "#list" ] && printf "pub\\tPublic files\\n"\necho "@RSYNCD: EXIT"\n',
  'bin/check_mk_agent': '#!/bin/sh\necho "<<<check_mk>>>"\necho "Version: 2.2.0p1"\necho "AgentOS: linux"\necho "<<<uptime>>>"\necho "1000.00 2000.00"\n',
  'bin/in.telnetd': '#!/bin/sh\nprintf "lab1 login: "\nread -r user\nprintf "Login incorrect\\r\\n"\n',
  // What the server runs with, from defaults: its user and umask.
  'bin/status-report': '#!/bin/sh\necho "status ok: $(id -un) $(umask) for $REMOTE_HOST, args: $*"\n',
  // Reads the request's line and the blank line after it (unread bytes would reset the client).
  'bin/clustercheck': '#!/bin/sh\nread -r request\nread -r blank\nprintf "HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\nGalera node is synced.\\r\\n"\n',
  'bin/status-report-udp': '#!/usr/bin/perl\nopen(my $s, "+<&=", 0) or die;\nmy $from = recv($s, my $data, 1500, 0) or die;\nsend($s, "status ok\\n", 0, $from);\n',
  'srv/tftp/pxelinux.0': `PXE boot image ${'0123456789abcdef'.repeat(200)}\n`,
  // git runs as nobody on root's repositories: its HOME says they are safe.
  'srv/git/.gitconfig': '[safe]\n\tdirectory = *\n',
};

/** A directory every user can read, with the stand-ins and a bare repository `project.git`. */
async function hostFiles(): Promise<string> {
  const host = tempDir();
  chmodSync(host, 0o755);
  for (const [name, text] of Object.entries(HOST_FILES)) {
    mkdirSync(dirname(join(host, name)), { recursive: true, mode: 0o755 });
    writeFileSync(join(host, name), text, { mode: name.startsWith('bin/') ? 0o755 : 0o644 });
  }
  const git = (...args: string[]) => run('git', ['-c', 'user.name=admin', '-c', 'user.email=admin@example.org', '-c', 'commit.gpgsign=false', ...args], { cwd: host });
  await git('init', '-q', '-b', 'master', 'work');
  await git('-C', 'work', 'commit', '-q', '--allow-empty', '-m', 'first');
  await git('clone', '-q', '--bare', 'work', 'srv/git/project.git');
  return host;
}

/** The mail host the relay points to: a greeting, and a goodbye to QUIT. */
async function smtpStandIn(port: number): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.write('220 mail.example.org ESMTP\r\n');
    socket.on('data', (data) => {
      if (/^QUIT\r\n/i.test(data.toString())) socket.end('221 2.0.0 Bye\r\n');
    });
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

/**
 * The files as an admin moves them to other ports (the test's): every entry UNLISTED on its
 * port, servers not installed replaced by the stand-ins in `host`, /srv below `host`, the relay
 * pointed at the mail host's new address (MAIL_HOST).
 */
function onTestPorts(text: string, ports: readonly number[], host: string): string {
  return text
    .replace(/^service (\S+)\n\{\n((?:.*\n)*?)\}/gm, (_, name: string, body: string) => {
      const port = ports[NAMES.indexOf(name)];
      assert.ok(port !== undefined, `no port for ${name}`);
      const lines = /^\s*port\s*=/m.test(body) ? body.replace(/^(\s*port\s*=\s*)\d+/m, `$1${port}`) : `\tport\t\t= ${port}\n${body}`;
      return `service ${name}\n{\n${/^\s*type\s*=/m.test(lines) ? '' : '\ttype\t\t= UNLISTED\n'}${lines}}`;
    })
    .replace(/\/usr\/bin\/(rsync|check_mk_agent|clustercheck)\b/g, `${host}/bin/$1`)
    .replace(/\/usr\/sbin\/in\.telnetd\b/g, `${host}/bin/in.telnetd`)
    .replace(/\/usr\/local\/sbin\//g, `${host}/bin/`)
    .replace(/ \/srv\//g, ` ${host}/srv/`).replace(/=\/srv\//g, `=${host}/srv/`)
    .replace(/= 192\.0\.2\.25 25$/m, `= 127.0.0.1 ${ports[MAIL_HOST]}`);
}

/** The clients of every service that runs, the admin's reload, and clients after it. */
async function clients(ports: readonly number[], d: RunningDaemon): Promise<Record<string, string>> {
  const port = (name: string) => ports[NAMES.indexOf(name)]!;
  const seen: Record<string, string> = {};
  const text = async (p: Promise<Buffer>) => (await p).toString('latin1');
  seen.rsync = await text(exchange(port('rsync'), '@RSYNCD: 31.0\n#list\n'));
  await logged(d, /EXIT: rsync /);

  const copy = join(d.dir, 'pxelinux.0');
  const tftp = await run('tftp', ['-m', 'binary', '127.0.0.1', String(port('tftp')), '-c', 'get', 'pxelinux.0', copy]);
  seen.tftp = `${tftp.stdout}${tftp.stderr}${readFileSync(copy, 'latin1') === HOST_FILES['srv/tftp/pxelinux.0'] ? 'the same file' : 'another file'}`;
  // in.tftpd waits for more requests (15 minutes): it is still running at the reload.
  await logged(d, /START: tftp /);

  const refs = await run('git', ['ls-remote', `git://127.0.0.1:${port('git')}/project.git`]);
  seen.git = `${refs.code} ${refs.stdout.replace(/^[0-9a-f]{40}/gm, 'HASH')}${refs.stderr}`;
  await logged(d, /EXIT: git /);

  // check_mk logs no success; its refusal is the next record.
  seen.checkMk = await text(exchange(port('check_mk')));
  seen.checkMkRefused = await text(exchange(port('check_mk'), undefined, { localAddress: '127.0.0.2' }));
  await logged(d, /FAIL: check_mk /);

  const telnet = await hold(port('telnet'));
  await telnet.expect(/login: $/);
  telnet.socket.write('root\r\n');
  await telnet.closed();
  seen.telnet = telnet.received();
  await logged(d, /EXIT: telnet /);
  seen.telnetRefused = await text(exchange(port('telnet'), undefined, { localAddress: '127.0.0.2' }));
  await logged(d, /FAIL: telnet /);

  seen.statusTcp = await text(exchange(port('status')));
  await logged(d, /EXIT: status-tcp /);
  seen.statusUdp = (await datagram(port('status'), 'status?', { ms: 10_000 })).toString();
  await logged(d, /EXIT: status-udp /);

  seen.auth = await text(exchange(port('auth'), '1 , 2\r\n'));
  await logged(d, /EXIT: auth /);
  seen.mysqlchk = await text(exchange(port('mysqlchk'), 'OPTIONS / HTTP/1.0\r\n\r\n'));
  await logged(d, /EXIT: mysqlchk /);
  // An IPv6 load balancer, with the IPv4-only only_from: closed unserved (sometimes reset).
  const v6 = await hold(port('mysqlchk'), '::1');
  await v6.closed();
  seen.mysqlchkV6 = v6.received();
  await logged(d, /FAIL: mysqlchk .*from=::1$/);

  // Through the relay to the mail host, which ends the session.
  const mailHost = await smtpStandIn(ports[MAIL_HOST]!);
  try {
    const relayed = await hold(port('smtp-relay'));
    await relayed.expect(/^220 .*\r\n$/);
    relayed.socket.write('QUIT\r\n');
    await relayed.closed();
    seen.relay = relayed.received();
    await logged(d, /EXIT: smtp-relay /);
  } finally {
    mailHost.close();
  }

  // The netboot is done: tftp off; the second monitoring server added to check_mk.
  const files = join(d.dir, 'xinetd.d');
  writeFileSync(join(files, 'tftp'), disabled(readFileSync(join(files, 'tftp'), 'utf8'), 'yes'));
  writeFileSync(join(files, 'check_mk'), readFileSync(join(files, 'check_mk'), 'utf8').replace(/^(\s*only_from\s*=.*)$/m, '$1 127.0.0.2'));
  d.signal('SIGHUP');
  await d.waitForMessage(/Reconfigured/);
  await logged(d, /EXIT: tftp /);
  seen.checkMkAdded = await text(exchange(port('check_mk'), undefined, { localAddress: '127.0.0.2' }));
  seen.gitAgain = (await run('git', ['ls-remote', `git://127.0.0.1:${port('git')}/project.git`])).stdout.replace(/^[0-9a-f]{40}/gm, 'HASH');
  await logged(d, /EXIT: git /, 2);
  return seen;
}

/** Kill the servers of `id` the log shows started and not ended (pid checked to be a server still). */
async function endServers(d: RunningDaemon, id: string): Promise<void> {
  const lines = await d.logLines();
  for (const line of lines) {
    const pid = new RegExp(` START: ${id} pid=(\\d+) `).exec(line)?.[1];
    if (pid && alive(Number(pid)) && !lines.some((l) => l.includes(` EXIT: ${id} `) && l.includes(` pid=${pid} `))) process.kill(Number(pid), 'SIGKILL');
  }
}

describe('a sysadmin\'s /etc/xinetd.d, side by side with xinetd 2.3.15', () => {
  it('as packages ship the files, on the standard ports: the start and a reload', async () => {
    const records = await sameRecords({
      ports: 0,
      messages: true,
      ownNetwork: true,
      expectedMessages: includedirLocated,
      actualMessages: locatedChecks,
      files: serviceFiles(),
      config: (_, { log, dir }) => mainConf(log, dir),
      act: async (_, d) => {
        // The admin switches the Nagios agent on and telnet off.
        writeFileSync(join(d.dir, 'xinetd.d/nrpe'), disabled(readFileSync(join(FILES, 'xinetd.d/nrpe'), 'utf8'), 'no'));
        writeFileSync(join(d.dir, 'xinetd.d/telnet'), disabled(readFileSync(join(FILES, 'xinetd.d/telnet'), 'utf8'), 'yes'));
        d.signal('SIGHUP');
        await d.waitForMessage(/Reconfigured/);
      },
    });
    assert.ok(records.messages.some((l) => / Started working: \d+ available services$/.test(l)), records.messages.join('\n'));
  });

  it('moved to the test\'s ports: a client of every service that runs, a reload, the daemon\'s messages', async () => {
    const host = await hostFiles();
    const tftpKilled = killedByReload('tftp');
    const { received } = await sameRecords({
      ports: NAMES.length + 1,
      messages: true,
      // xinetd's refusals of telnet (libwrap) and mysqlchk (address) happen in a child; the relay
      // is served in the daemon; the reload kills the in.tftpd still waiting for requests.
      expected: (lines) => servedInProcess('smtp-relay')(tftpKilled.expected(refusedBeforeLaunch('telnet', 'mysqlchk')(lines))),
      expectedMessages: (lines) => tftpKilled.expectedMessages(includedirLocated(lines)),
      actualMessages: locatedChecks,
      // tcpd and both daemons read hosts.allow and hosts.deny: telnet from the lab only.
      etc: {
        'hosts.allow': 'in.telnetd : 127.0.0.1\n',
        'hosts.deny': 'in.telnetd : ALL\n',
        'issue.net': 'Lab network: authorised users only\r\n',
      },
      files: (ports) => serviceFiles((text) => onTestPorts(text, ports, host)),
      config: (_, { log, dir }) => mainConf(log, dir),
      act: async (ports, d) => {
        try {
          return await clients(ports, d);
        } finally {
          // xinetd leaves its servers running when it stops: an in.tftpd a failed run did not
          // get to the reload would wait 15 minutes.
          await endServers(d, 'tftp');
        }
      },
    });
    // What the clients received is the same from both; here, that it is what the services serve.
    const seen = received as Record<string, string>;
    assert.equal(seen.tftp, 'the same file');
    assert.match(seen.git!, /^0 HASH\tHEAD\nHASH\trefs\/heads\/master\n$/);
    assert.match(seen.rsync!, /^@RSYNCD: 31\.0\npub\t/);
    assert.equal(seen.telnet, 'Lab network: authorised users only\r\nlab1 login: Login incorrect\r\n');
    // A `#` after a value is no comment: the words are server arguments.
    assert.match(seen.statusTcp!, /^status ok: nobody 0002 for \S+, args: --brief # the short form, for the dashboard\n$/);
    assert.equal(seen.checkMkRefused, '');
    assert.match(seen.checkMkAdded!, /^<<<check_mk>>>\n/);
    assert.equal(seen.relay, '220 mail.example.org ESMTP\r\n221 2.0.0 Bye\r\n');
  });
});
