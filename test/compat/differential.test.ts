/**
 * The drop-in promise checked against the reference itself: each scenario runs Debian's xinetd and
 * then xinetd-ts on the same configuration text, ports and client actions, and the records they
 * write (the service log, and the daemon's own messages where a scenario compares them) must be
 * the same lines once times, pids and temporary paths are masked, and where a scenario says so,
 * its clients must receive the same bytes. Log analysers (fail2ban, logwatch) read exactly these
 * lines. .ci/run installs xinetd; without it these tests fail.
 */
import assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, tempDir } from '../helpers/daemon.js';
import { adminServicesServed, bindTriedOnce, closedWindow, defaults, echoing, includedirLocated, internal, killedByReload, locatedChecks, logged, refusedAtOnce, refusedBeforeLaunch, sameRecords, servedInProcess, umaskMessageJoined } from '../helpers/differential.js';
import { fixture, hold, service, streamService } from '../helpers/e2e.js';
import { startIdentServer } from '../helpers/logging-ident.js';
import { datagram, exchange } from '../helpers/net.js';
import { readLines, waitFor } from '../helpers/wait.js';

describe('the same records as xinetd 2.3.15 (run side by side)', () => {
  it('spawned servers: START and EXIT with status, signal, duration', async () => {
    const records = await sameRecords({
      ports: 3,
      config: ([a, b, c], { log }) => defaults(log) +
        streamService('args', a!, fixture('args.sh'), ['server_args = one two']) +
        streamService('three', b!, fixture('exit-with.sh'), ['server_args = status 3']) +
        streamService('killed', c!, fixture('exit-with.sh'), ['server_args = signal KILL']),
      act: async ([a, b, c], d) => {
        assert.equal((await exchange(a!)).toString(), '[one]\n[two]\n');
        await logged(d, /EXIT: args/);
        await exchange(b!);
        await logged(d, /EXIT: three/);
        await exchange(c!);
        await logged(d, /EXIT: killed/);
      },
    });
    assert.equal(records.log.length, 6, records.log.join('\n'));
  });

  it('a dgram wait = yes server', async () => {
    await sameRecords({
      ports: 1,
      config: ([a], { log }) => defaults(log) +
        service('reply', ['type = UNLISTED', 'socket_type = dgram', 'protocol = udp', 'wait = yes', 'user = nobody', 'bind = 127.0.0.1', `port = ${a}`, `server = ${fixture('udp-reply.sh')}`]),
      act: async ([a], d) => {
        assert.match((await datagram(a!, 'one', { ms: 10_000 })).toString(), /^reply \d+ one$/);
        await logged(d, /EXIT: reply/);
        assert.match((await datagram(a!, 'two', { ms: 10_000 })).toString(), /^reply \d+ two$/);
        await logged(d, /EXIT: reply/, 2);
      },
    });
  });

  it('each log_on_success and log_on_failure field alone, and none', async () => {
    const fields = ['HOST', 'PID', 'EXIT', 'DURATION', ''];
    const records = await sameRecords({
      ports: fields.length + 2,
      config: (p, { log }) => `defaults\n{\n\tlog_type = FILE ${log}\n}\n` +
        fields.map((f, i) => streamService(`ok${f || 'none'}`, p[i]!, fixture('args.sh'), [`log_on_success = ${f}`])).join('') +
        streamService('attempt', p[fields.length]!, fixture('args.sh'), ['only_from = 127.0.0.2', 'log_on_failure = ATTEMPT']) +
        streamService('nofail', p[fields.length + 1]!, fixture('args.sh'), [`access_times = ${closedWindow()}`, 'log_on_failure =']),
      act: async (p, d) => {
        // Each connection's last record is awaited before the next (EXIT and DURATION make an
        // EXIT record, HOST and PID only a START); the one that logs nothing is waited for below.
        for (const [i, f] of fields.entries()) {
          await exchange(p[i]!);
          if (f !== '') await logged(d, new RegExp(`${f === 'EXIT' || f === 'DURATION' ? 'EXIT' : 'START'}: ok${f}`));
        }
        await exchange(p[fields.length]!);
        await logged(d, /FAIL: attempt/);
        await exchange(p[fields.length + 1]!);
        await exchange(p[0]!);
        await logged(d, /okHOST/, 2);
      },
    });
    assert.ok(records.log.length >= 5, records.log.join('\n'));
  });

  it('access refusals: only_from, no_access, access_times', async () => {
    const records = await sameRecords({
      ports: 3,
      expected: refusedBeforeLaunch('from', 'noaccess'),
      config: ([a, b, c], { log }) => defaults(log) +
        streamService('from', a!, fixture('args.sh'), ['only_from = 127.0.0.2', 'log_on_success = PID HOST']) +
        streamService('noaccess', b!, fixture('args.sh'), ['no_access = 127.0.0.0/8', 'log_on_success = PID HOST']) +
        streamService('times', c!, fixture('args.sh'), [`access_times = ${closedWindow()}`, 'log_on_success = PID HOST']),
      act: async ([a, b, c], d) => {
        assert.equal((await exchange(a!)).toString(), '');
        await logged(d, /FAIL: from/);
        assert.equal((await exchange(a!, undefined, { localAddress: '127.0.0.2' })).toString(), '');
        await logged(d, /START: from .*127\.0\.0\.2$/);
        await exchange(b!);
        await logged(d, /FAIL: noaccess/);
        await exchange(c!);
        await logged(d, /FAIL: times/);
      },
    });
    assert.ok(records.log.some((l) => l.includes('FAIL: times time')), records.log.join('\n'));
  });

  it('libwrap: hosts.allow and hosts.deny, the daemon name, NOLIBWRAP', async () => {
    await sameRecords({
      ports: 4,
      messages: true,
      expected: refusedBeforeLaunch('byserver', 'named'),
      etc: {
        'hosts.allow': 'custom : 127.0.0.2\n',
        'hosts.deny': 'args.sh : 127.0.0.1\ncustom : ALL\nexit-with.sh : ALL\ndaytime : 127.0.0.3\n',
      },
      config: ([a, b, c, e], { log }) => defaults(log) +
        streamService('byserver', a!, fixture('args.sh'), ['log_on_success = PID HOST']) +
        streamService('named', b!, fixture('args.sh'), ['libwrap = custom', 'log_on_success = PID HOST']) +
        streamService('unwrapped', c!, fixture('exit-with.sh'), ['flags = NOLIBWRAP', 'log_on_success = PID HOST']) +
        internal('daytime', e!, 'stream'),
      act: async ([a, b, c, e], d) => {
        assert.equal((await exchange(a!)).toString(), '');
        await logged(d, /FAIL: byserver/);
        await exchange(a!, undefined, { localAddress: '127.0.0.2' });
        await logged(d, /START: byserver .*127\.0\.0\.2$/);
        await exchange(b!, undefined, { localAddress: '127.0.0.2' });
        await logged(d, /START: named .*127\.0\.0\.2$/);
        await exchange(b!, undefined, { localAddress: '127.0.0.4' });
        await logged(d, /FAIL: named .*127\.0\.0\.4$/);
        await exchange(c!);
        await logged(d, /START: unwrapped/);
        await exchange(e!, undefined, { localAddress: '127.0.0.3' });
        await logged(d, /FAIL: daytime-stream/);
        await d.waitForMessage(/libwrap refused connection to daytime-stream/);
      },
    });
  });

  it('USERID: ident replies logged, IDONLY', async () => {
    const friendly = await startIdentServer('127.0.0.71', (r, l) => `${r} , ${l} : USERID : UNIX : alice`);
    const refusing = await startIdentServer('127.0.0.72', () => 'ERROR : NO-USER');
    try {
      await sameRecords({
        ports: 2,
        messages: true,
        expected: refusedBeforeLaunch('strict'),
        config: ([a, b], { log }) => defaults(log) +
          streamService('who', a!, fixture('args.sh'), ['log_on_success = PID HOST USERID', 'log_on_failure = HOST USERID']) +
          streamService('strict', b!, fixture('args.sh'), ['flags = IDONLY', 'log_on_success = PID HOST USERID', 'log_on_failure = HOST USERID']),
        act: async ([a, b], d) => {
          const badLines = (n: number) => waitFor(`${n} bad ident lines`, async () => {
            const hits = (await readLines(d.messages)).filter((l) => l.includes('Bad line received from identity server'));
            return hits.length >= n ? hits : undefined;
          }, { file: d.messages });
          await exchange(a!, undefined, { localAddress: '127.0.0.71' });
          await logged(d, /USERID: who/);
          await exchange(a!, undefined, { localAddress: '127.0.0.72' });
          await badLines(1);
          await exchange(b!, undefined, { localAddress: '127.0.0.71' });
          await logged(d, /USERID: strict/);
          await exchange(b!, undefined, { localAddress: '127.0.0.72' });
          await logged(d, /NOID: strict/);
          await badLines(2);
        },
      });
    } finally {
      await friendly.stop();
      await refusing.stop();
    }
  });

  it('banner, banner_success, banner_fail: the bytes a client receives, spawned and internal', async () => {
    // Readable by the servers' user (nobody): xinetd's child opens banner_success and banner_fail
    // after taking it (compatibility.md); the daemons' own temporary directories are root's only.
    const dir = tempDir();
    chmodSync(dir, 0o755);
    for (const [name, text] of [['banner', 'WELCOME\r\n'], ['granted', 'GRANTED\n'], ['denied', 'DENIED\n']]) writeFileSync(join(dir, name!), text!, { mode: 0o644 });
    const banners = [`banner = ${dir}/banner`, `banner_success = ${dir}/granted`, `banner_fail = ${dir}/denied`, 'log_on_success = PID HOST'];
    const { received } = await sameRecords({
      ports: 4,
      expected: refusedBeforeLaunch('closed'),
      config: ([a, b, c, e], { log }) => defaults(log) +
        streamService('open', a!, fixture('args.sh'), [...banners, 'server_args = served']) +
        streamService('closed', b!, fixture('args.sh'), [...banners, 'only_from = 127.0.0.9']) +
        internal('daytime', c!, 'stream', banners) +
        service('daytime', ['type = INTERNAL UNLISTED', 'id = refused-daytime', 'socket_type = stream', 'wait = no', 'bind = 127.0.0.1', `port = ${e}`, ...banners, 'only_from = 127.0.0.9']),
      act: async (p, d) => {
        const seen: string[] = [];
        for (const [i, port] of p.entries()) {
          seen.push((await exchange(port)).toString().replace(/\d\d:\d\d:\d\d/, 'TIME'));
          await logged(d, [/START: open/, /FAIL: closed/, /START: daytime-stream/, /FAIL: refused-daytime/][i]!);
        }
        return seen;
      },
    });
    assert.equal((received as string[])[0], 'WELCOME\r\nGRANTED\n[served]\n');
  });

  it('tcpmux: the bytes a client receives for TCPMUXPLUS, TCPMUX, an unknown name, help, an empty line', async () => {
    const mux = (name: string, type: string) => service(name, [`type = ${type} UNLISTED`, 'socket_type = stream', 'protocol = tcp', 'wait = no', 'user = nobody',
      `server = ${fixture('args.sh')}`, `server_args = ${name}`]);
    const { received } = await sameRecords({
      ports: 1,
      // compatibility.md, "tcpmux: only the tcpmux service gets START/EXIT": the records differ by design.
      ignoreLog: true,
      config: ([port], { log }) => defaults(log) +
        service('tcpmux', ['type = INTERNAL UNLISTED', 'socket_type = stream', 'wait = no', 'bind = 127.0.0.1', `port = ${port}`]) +
        mux('plus', 'TCPMUXPLUS') + mux('plain', 'TCPMUX'),
      act: async ([port], d) => {
        const seen: string[] = [];
        for (const [i, request] of ['plus\r\n', 'PLAIN\r\n', 'nosuch\r\n', 'help\r\n', '\r\n'].entries()) {
          seen.push((await exchange(port!, request)).toString('latin1'));
          await logged(d, /EXIT: tcpmux /, i + 1);
        }
        return seen;
      },
    });
    assert.deepEqual(received, ['+Go\r\n\0[plus]\n', '[plain]\n', '-Service name not found\r\n\0', '-Service name not found\r\n\0', '']);
  });

  it('what a spawned server runs with: user, groups, umask, nice, directory, environment, signals, capabilities, limits, descriptors', async () => {
    // In a directory the servers' user can reach (the daemons' own are root's only).
    const dir = tempDir();
    chmodSync(dir, 0o755);
    // The shell's own state is read first, with builtins only: while it runs a pipeline the
    // shell blocks every signal and holds the pipe, and a child reading /proc/$$ would see that.
    writeFileSync(join(dir, 'context.sh'), [
      '#!/bin/sh',
      'while read -r key value; do case "$key" in Groups:|SigBlk:|SigIgn:|Cap*|NoNewPrivs:) echo "$key $value" ;; esac; done < /proc/$$/status',
      'set -- /proc/$$/fd/*',
      'for fd; do echo "${fd##*/}"; readlink "$fd"; done',
      'id; umask; pwd',
      'env | sort',
      'cut -d" " -f19 /proc/$$/stat',
      // Whether the server leads its own session and process group (autogroup scheduling, job control).
      'read -r _ _ _ _ pgrp sid _ < /proc/$$/stat; [ "$sid" = "$$" ] && echo session leader || echo in the parent session; [ "$pgrp" = "$$" ] && echo group leader || echo in the parent group',
      'ulimit -a',
      '',
    ].join('\n'), { mode: 0o755 });
    const { received } = await sameRecords({
      ports: 3,
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C.UTF-8', EXTRA: 'passed on' },
      config: ([a, b, c], { log }) => defaults(log) +
        streamService('plain', a!, `${dir}/context.sh`) +
        streamService('tuned', b!, `${dir}/context.sh`, ['groups = yes', 'umask = 077', 'nice = 5', 'rlimit_files = 64', 'env = ADDED=1', 'passenv = PATH']) +
        streamService('rooted', c!, `${dir}/context.sh`, ['group = daemon'], 'root'),
      act: async (p, d) => {
        const seen: string[] = [];
        for (const [i, port] of p.entries()) {
          seen.push((await exchange(port)).toString().replace(/(socket|pipe):\[\d+\]/g, '$1'));
          await logged(d, /EXIT: /, i + 1);
        }
        return seen;
      },
    });
    assert.match((received as string[])[1]!, /SigBlk: 0000000000000000\n[^]*\nuid=65534\(nobody\) .*\n0077\n/);
    assert.match((received as string[])[0]!, /\nEXTRA=passed on\n/);
    assert.doesNotMatch((received as string[])[0]!, /XINETD_TS_/);
  });

  it('instances and per_source reached', async () => {
    await sameRecords({
      ports: 2,
      config: ([a, b], { log }) => defaults(log) +
        streamService('one', a!, '/bin/cat', ['instances = 1']) +
        streamService('persrc', b!, '/bin/cat', ['per_source = 1']),
      act: async ([a, b], d) => {
        const first = await echoing(a!, 'x\n');
        // The limit refuses at once (FAIL service_limit); the connection is closed unserved.
        await refusedAtOnce(a!);
        await logged(d, /FAIL: one/);
        first.end();
        await logged(d, /EXIT: one/);
        const mine = await echoing(b!, 'x\n');
        await refusedAtOnce(b!);
        await logged(d, /FAIL: persrc/);
        const other = await echoing(b!, 'w\n', '127.0.0.2');
        other.end();
        mine.end();
        await logged(d, /EXIT: persrc/, 2);
      },
    });
  });

  it('a comment after per_source is part of its value: the line is ignored with a warning, the defaults\' value stays', async () => {
    // `#` starts a comment only at the start of a line, so these are 4 values where xinetd takes
    // one (xinetd-ts two, with /LEN): the service runs, with the defaults' per_source = 1.
    await sameRecords({
      ports: 1,
      messages: true,
      config: ([p], { log }) => defaults(log, ['per_source = 1']) +
        streamService('commented', p!, '/bin/cat', ['per_source = 4     # per client']),
      act: async ([p], d) => {
        const first = await echoing(p!, 'x\n');
        await refusedAtOnce(p!);
        await logged(d, /FAIL: commented per_source_limit/);
        first.end();
        await logged(d, /EXIT: commented/);
      },
    });
  });

  // xinetd's window is RATE whole seconds from its first connection (not one second), and a trip
  // does not reset it: with cps = 2 2 three connections within a second trip it wherever the
  // second boundary falls, and after the 2 s off the window is fresh.
  const cpsCases = [
    { what: 'cps: the connection over the rate refused, the service off and back', defaultsCps: [], serviceCps: ['cps = 2 2'] },
    // A wrong value count is xinetd's warning and the line is ignored: the defaults' cps applies.
    { what: 'cps with one value in a service: the line is ignored with a warning, the defaults\' cps applies', defaultsCps: ['cps = 2 2'], serviceCps: ['cps = 7'] },
  ];
  for (const { what, defaultsCps, serviceCps } of cpsCases) it(what, async () => {
    await sameRecords({
      ports: 1,
      messages: true,
      config: ([p], { log }) => defaults(log, defaultsCps) + streamService('rate', p!, '/bin/cat', serviceCps),
      act: async ([p], d) => {
        for (let i = 1; i <= 2; i++) {
          const c = await echoing(p!, `${i}\n`);
          c.end();
          await logged(d, /EXIT: rate/, i);
        }
        await refusedAtOnce(p!);
        await logged(d, /FAIL: rate connections per second/);
        await d.waitForMessage(/Deactivating service rate due to excessive incoming connections\./);
        await d.waitForMessage(/Activating service rate$/, 6000);
        const back = await echoing(p!, 'back\n');
        back.end();
        await logged(d, /EXIT: rate/, 3);
      },
    });
  });

  it('attributes written with no value: xinetd\'s warning and the line ignored, an empty list, or the service dropped', async () => {
    // Each empty line is a wrong value count (warned, ignored) or an empty list, except these two;
    // and an empty only_from lets no one in.
    const ignored = ['instances', 'per_source', 'cps', 'nice', 'umask', 'max_load', 'banner', 'rlimit_as', 'groups', 'bind', 'env', 'passenv', 'no_access'];
    const fatal = ['server_args', 'access_times'];
    const { received } = await sameRecords({
      ports: 3,
      messages: true,
      expected: refusedBeforeLaunch('closed'),
      config: ([p, q, r], { log }) => defaults(log) +
        streamService('bare', p!, '/bin/cat', ignored.map((a) => `${a} =`)) +
        streamService('dropped', q!, '/bin/cat', fatal.map((a) => `${a} =`)) +
        streamService('closed', r!, '/bin/cat', ['only_from =']),
      act: async ([p, q, r], d) => {
        const bare = (await exchange(p!, 'x\n', { endAfterSend: true })).toString();
        await logged(d, /EXIT: bare/);
        const dropped = await exchange(q!).then(() => 'served', (e: NodeJS.ErrnoException) => e.code);
        await refusedAtOnce(r!);
        await logged(d, /FAIL: closed address/);
        return [bare, dropped];
      },
    });
    assert.deepEqual(received, ['x\n', 'ECONNREFUSED']);
  });

  it('value errors: xinetd\'s words at their lines, the services they drop, and the values it takes', async () => {
    // One service per line; the last three are taken (nice beyond the kernel's range is clamped
    // by nice(2)), an empty banner_fail is a wrong-count warning, mdns is not known to either.
    const lines = ['port = abc', 'port = -1', 'umask = 999', 'instances = -5', 'per_source = -1', 'max_load = x', 'rlimit_as = 5x', 'groups = maybe',
      'bind = 300.1.1.1', 'v6only = perhaps', 'cps = a b', 'rlimit_cpu = -3', 'rlimit_files = abc', 'redirect = 127.0.0.1 abc', 'deny_time = soon',
      'banner_fail =', 'mdns = maybe', 'nice = -30', 'nice = 50'];
    const { received } = await sameRecords({
      ports: lines.length,
      messages: true,
      expectedMessages: umaskMessageJoined,
      // A server's EXIT and the next client's START: a race in both daemons.
      unordered: true,
      config: (p, { log }) => defaults(log) + lines.map((line, i) => service(`s${i}`, ['type = UNLISTED', 'socket_type = stream', 'wait = no', 'user = nobody', 'server = /bin/cat',
        ...(line.startsWith('port') ? [line] : [`port = ${p[i]}`, line])])).join(''),
      act: async (p, d) => {
        const answers: string[] = [];
        for (const port of p) answers.push(await exchange(port, 'x\n', { endAfterSend: true }).then((b) => b.toString(), (e: NodeJS.ErrnoException) => e.code ?? 'error'));
        await logged(d, /EXIT: /, answers.filter((a) => a === 'x\n').length);
        return answers;
      },
    });
    assert.deepEqual((received as string[]).map((a, i) => (a === 'x\n' ? lines[i] : undefined)).filter(Boolean), ['rlimit_cpu = -3', 'banner_fail =', 'mdns = maybe', 'nice = -30', 'nice = 50']);
  });

  it('factorized only_from addresses, well formed or not: the services each daemon runs, and its messages', async () => {
    // xinetd disables a service whose a.b.c.{x,y} token is not well formed (fail closed).
    const forms = ['127.0.0.{1,}', '127.0.0.{,1}', '127.0.0.{1,,3}', '127.0.0.{}', '127.0.{0}.1', '127.{0,1}.{0,1}', '127.0.0.{1,2', '127.0.0.{1}'];
    await sameRecords({
      ports: forms.length,
      messages: true,
      unordered: true,
      expected: refusedBeforeLaunch(...forms.map((_, i) => `s${i}`)),
      config: (p, { log }) => defaults(log) + forms.map((f, i) => streamService(`s${i}`, p[i]!, '/bin/cat', [`only_from = ${f}`])).join(''),
      act: async (p, d) => {
        const out: string[] = [];
        for (const [i, port] of p.entries()) {
          for (const from of ['127.0.0.1', '127.0.0.2']) {
            const c = await hold(port, '127.0.0.1', from).catch((e: NodeJS.ErrnoException) => e.code ?? 'error');
            if (typeof c === 'string') { out.push(`${forms[i]} ${from} ${c}`); continue; }
            c.socket.write('x\n');
            // Served: the echo; refused: closed with nothing.
            const r = await Promise.race([c.expect(/x\n/).then(() => 'served'), c.closed().then(() => (c.received() === '' ? 'refused' : 'served'))]);
            c.end();
            out.push(`${forms[i]} ${from} ${r}`);
          }
        }
        await logged(d, /EXIT: s7 /);
        await logged(d, /FAIL: s7 /);
        return out;
      },
    });
  });

  it('internal services over stream and dgram', async () => {
    await sameRecords({
      ports: 7,
      expected: servedInProcess('echo-stream', 'discard-stream', 'chargen-stream'),
      config: (p, { log }) => defaults(log) +
        internal('daytime', p[0]!, 'stream') + internal('time', p[1]!, 'stream') + internal('echo', p[2]!, 'stream') +
        internal('discard', p[3]!, 'stream') + internal('chargen', p[4]!, 'stream') +
        internal('echo', p[5]!, 'dgram') + internal('daytime', p[6]!, 'dgram'),
      act: async (p, d) => {
        // daytime and time are answered by xinetd itself too: a START and no EXIT.
        await exchange(p[0]!);
        await logged(d, /START: daytime-stream/);
        await exchange(p[1]!);
        await logged(d, /START: time-stream/);
        assert.equal((await exchange(p[2]!, 'hello\n', { endAfterSend: true })).toString(), 'hello\n');
        await logged(d, /EXIT: echo-stream/);
        await exchange(p[3]!, 'gone\n', { endAfterSend: true });
        await logged(d, /EXIT: discard-stream/);
        const chargen = await hold(p[4]!);
        await chargen.expect(/!/);
        chargen.end();
        await logged(d, /EXIT: chargen-stream/);
        assert.equal((await datagram(p[5]!, 'ping', { host: '127.0.0.1' })).toString(), 'ping');
        await logged(d, /echo-dgram/);
        await datagram(p[6]!, 'x', { host: '127.0.0.1' });
        await logged(d, /START: daytime-dgram/);
      },
    });
  });

  it('redirect, with TRAFFIC', async () => {
    await sameRecords({
      ports: 2,
      expected: servedInProcess('front'),
      // The proxy's and the target's ends are logged as each process ends: a race in xinetd.
      unordered: true,
      // xinetd wants `user` (compatibility.md: not needed here) and TRAFFIC only where redirect is.
      config: ([front, back], { log }) => defaults(log) +
        service('front', ['type = UNLISTED', 'socket_type = stream', 'wait = no', 'user = nobody', `port = ${front}`,
          `redirect = 127.0.0.1 ${back}`, 'log_on_success += TRAFFIC']) +
        streamService('back', back!, '/bin/cat'),
      act: async ([front], d) => {
        // No half-close: xinetd's redirect would tear both directions down (compatibility.md).
        const client = await echoing(front!, 'through\n');
        client.end();
        await logged(d, /EXIT: front/);
        await logged(d, /EXIT: back/);
      },
    });
  });

  it('Debian\'s stock /etc/xinetd.d, every entry enabled, on its standard ports', async () => {
    const stock = join(ROOT, 'test/fixtures/conf/debian');
    const files = Object.fromEntries(readdirSync(join(stock, 'xinetd.d')).map((name) =>
      [`xinetd.d/${name}`, readFileSync(join(stock, 'xinetd.d', name), 'utf8').replaceAll(/^(\s*disable\s*=\s*)yes/gm, '$1no')]));
    const records = await sameRecords({
      ports: 0,
      messages: true,
      ownNetwork: true,
      files,
      expectedMessages: (lines) => adminServicesServed(includedirLocated(lines)),
      config: (_, { dir }) => readFileSync(join(stock, 'xinetd.conf'), 'utf8').replace(/^includedir xinetd\.d$/m, `includedir ${dir}/xinetd.d`),
      act: async () => undefined,
    });
    assert.ok(records.messages.some((l) => / Started working: 15 available services$/.test(l)), records.messages.join('\n'));
  });

  it('a reload: a service kept with a session, one moved, one removed with a session, one added, one changed', async () => {
    const conf = (p: readonly number[], log: string, after: boolean) => defaults(log) +
      streamService('kept', p[0]!, '/bin/cat') +
      streamService('moved', after ? p[5]! : p[1]!, fixture('args.sh')) +
      (after ? '' : streamService('removed', p[2]!, '/bin/cat')) +
      (after ? streamService('added', p[3]!, fixture('args.sh'), ['server_args = new']) : '') +
      streamService('changed', p[4]!, fixture('args.sh'), [`server_args = ${after ? 'after' : 'before'}`]);
    await sameRecords({
      ports: 6,
      messages: true,
      ...killedByReload('removed'),
      config: (p, { log }) => conf(p, log, false),
      act: async (p, d) => {
        const kept = await echoing(p[0]!, 'k\n');
        const removed = await echoing(p[2]!, 'r\n');
        // Both servers known to the daemon (xinetd at the fork, xinetd-ts once the launcher reported
        // the pid): a server whose report comes after the reload is signalled after `Reconfigured`.
        await logged(d, /START: removed /);
        await logged(d, /START: kept /);
        writeFileSync(join(d.dir, 'xinetd.conf'), conf(p, d.serviceLog, true));
        d.signal('SIGHUP');
        await d.waitForMessage(/Reconfigured/);
        await removed.closed();
        await logged(d, /EXIT: removed/);
        assert.equal((await exchange(p[5]!)).toString(), '');
        await logged(d, /EXIT: moved/);
        assert.equal((await exchange(p[3]!)).toString(), '[new]\n');
        await logged(d, /EXIT: added/);
        assert.equal((await exchange(p[4]!)).toString(), '[after]\n');
        await logged(d, /EXIT: changed/);
        kept.socket.write('still\n');
        await kept.expect(/still/);
        kept.end();
        await logged(d, /EXIT: kept/);
      },
    });
  });

  it('the daemon\'s messages for services it cannot run', async () => {
    await sameRecords({
      ports: 10,
      messages: true,
      expectedMessages: bindTriedOnce,
      actualMessages: locatedChecks,
      files: { 'noexec.sh': '#!/bin/sh\necho hi\n' },
      config: (p, { log, dir }) => defaults(log) +
        streamService('noexec', p[0]!, `${dir}/noexec.sh`) +
        streamService('missing', p[1]!, `${dir}/no-such-server`) +
        streamService('baduser', p[2]!, '/bin/cat', [], 'no-such-user') +
        streamService('badgroup', p[3]!, '/bin/cat', ['group = no-such-group']) +
        service('badsocket', ['type = UNLISTED', 'socket_type = bogus', 'wait = no', 'user = nobody', `port = ${p[4]}`, 'server = /bin/cat']) +
        service('badprotocol', ['type = UNLISTED', 'socket_type = stream', 'protocol = bogus', 'wait = no', 'user = nobody', `port = ${p[5]}`, 'server = /bin/cat']) +
        service('nothing', ['type = UNLISTED', 'user = nobody', `port = ${p[6]}`, 'server = /bin/cat']) +
        service('daytime', ['socket_type = stream', 'wait = no', 'user = nobody', `port = ${p[7]}`, 'server = /bin/cat']) +
        service('noport', ['type = UNLISTED', 'socket_type = stream', 'wait = no', 'user = nobody', 'server = /bin/cat']) +
        // TEST-NET-1: an address no interface here has.
        streamService('elsewhere', p[8]!, '/bin/cat', ['bind = 192.0.2.1']) +
        streamService('fine', p[9]!, '/bin/cat'),
      act: async () => undefined,
    });
  });

  it('the daemon\'s messages for configuration errors, includedir, a reload and the exit', async () => {
    const conf = (first: number, second: number, log: string, dir: string) => defaults(log) +
      streamService('kept', first, '/bin/cat', ['no_such_attribute = 1', 'instances = many']) +
      streamService('changed', second, '/bin/cat') +
      'service broken\n{\n\tsocket_type = stream\n\tport 5\n}\n' +
      `includedir ${dir}/xinetd.d\n`;
    const records = await sameRecords({
      ports: 3,
      messages: true,
      ...killedByReload('changed'),
      files: {
        // includedir skips names with a dot or ending in ~; the others are read in name order.
        'xinetd.d/b-bad': 'service bad\n{\n\tsocket_type = stream\n\twait = perhaps\n}\n',
        'xinetd.d/a.dpkg-old': 'garbage\n',
        'xinetd.d/c~': 'garbage\n',
        'xinetd.d/sub/d': 'garbage\n',
      },
      config: ([a, b], { log, dir }) => conf(a!, b!, log, dir),
      act: async ([a, b], d) => {
        // A session of the service the reload removes: its server is signalled.
        const session = await echoing(b!, 'x\n');
        await logged(d, /START: changed /);
        writeFileSync(join(d.dir, 'xinetd.conf'), conf(a!, b!, d.serviceLog, d.dir).replace('service changed', 'service renamed'));
        d.signal('SIGHUP');
        await d.waitForMessage(/Reconfigured/);
        await session.closed();
        await logged(d, /EXIT: changed/);
      },
    });
    assert.ok(records.messages.some((l) => l.includes('[file=DIR/xinetd.conf] [line=')), records.messages.join('\n'));
    assert.ok(records.messages.some((l) => l.includes('[file=DIR/xinetd.d/b-bad] [line=')), records.messages.join('\n'));
  });
});
