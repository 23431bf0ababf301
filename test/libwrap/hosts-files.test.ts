import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NameResolver } from '../../plugins/access/reverse-lookup.js';
import { parseHostsTable } from '../../plugins/libwrap/hosts-files.js';
import { hostsAccess } from '../../plugins/libwrap/hosts-match.js';
import { parseOptions } from '../../plugins/libwrap/hosts-options.js';
import { PatternFiles, wrapRequest } from '../../plugins/libwrap/request.js';
import { tempDir } from '../helpers/daemon.js';
import { tcpdmatch } from '../helpers/tcpdmatch.js';

const names = new NameResolver({ timeoutMs: 3000 });
const files = new PatternFiles();

async function decide(allow: string, deny: string, daemon: string, client: string, name?: string | null): Promise<boolean> {
  const r = new NameResolver();
  if (name !== undefined) r.override(client, name);
  const v = await hostsAccess(parseHostsTable(allow, 'hosts.allow'), parseHostsTable(deny, 'hosts.deny'), wrapRequest(daemon, client, '127.0.0.1', name === undefined ? names : r, files));
  return v.allowed;
}

describe('hosts_access language (reference 18.1)', () => {
  it('allow first, then deny, else allow; continuation lines and comments', async () => {
    assert.equal(await decide('in.a : 10.0.0.1\n', 'ALL: ALL\n', 'in.a', '10.0.0.1'), true);
    assert.equal(await decide('in.a : 10.0.0.1\n', 'ALL: ALL\n', 'in.a', '10.0.0.2'), false);
    assert.equal(await decide('', '', 'in.a', '10.0.0.2'), true);
    assert.equal(await decide('# in.a: ALL\nin.a, in.b : \\\n 10.0.0.2\n', 'ALL:ALL\n', 'in.b', '10.0.0.2'), true);
  });
  it('patterns: .domain, n.n.n., net/mask, /len, [v6]/len, wildcards, LOCAL, KNOWN, UNKNOWN, PARANOID', async () => {
    const deny = 'ALL: ALL\n';
    assert.equal(await decide('ALL: .example.com\n', deny, 'x', '192.0.2.1', 'a.example.com'), true);
    assert.equal(await decide('ALL: 192.0.2.\n', deny, 'x', '192.0.2.1'), true);
    assert.equal(await decide('ALL: 192.0.2.0/255.255.255.0\n', deny, 'x', '192.0.2.9'), true);
    assert.equal(await decide('ALL: 192.0.2.0/24\n', deny, 'x', '192.0.3.9'), false);
    assert.equal(await decide('ALL: [2001:db8::]/32\n', deny, 'x', '2001:db8::7'), true);
    assert.equal(await decide('ALL: [::1]\n', deny, 'x', '::1'), true);
    assert.equal(await decide('ALL: 192.0.2.?\n', deny, 'x', '192.0.2.5'), true);
    assert.equal(await decide('ALL: *.example.com\n', deny, 'x', '192.0.2.1', 'a.example.com'), true);
    assert.equal(await decide('ALL: LOCAL\n', deny, 'x', '192.0.2.1', 'gateway'), true);
    assert.equal(await decide('ALL: LOCAL\n', deny, 'x', '192.0.2.1', 'gw.example.com'), false);
    assert.equal(await decide('ALL: KNOWN\n', deny, 'x', '192.0.2.1', 'gw.example.com'), true);
    assert.equal(await decide('ALL: KNOWN\n', deny, 'x', '192.0.2.1', null), false);
    assert.equal(await decide('ALL: UNKNOWN\n', deny, 'x', '192.0.2.1', null), true);
    assert.equal(await decide('ALL: ALL EXCEPT 192.0.2.1\n', deny, 'x', '192.0.2.1'), false);
    assert.equal(await decide('ALL EXCEPT in.b: ALL\n', deny, 'in.b', '192.0.2.1'), false);
    assert.equal(await decide('in.a@127.0.0.1: ALL\n', deny, 'in.a', '192.0.2.1'), true);
    assert.equal(await decide('in.a@127.0.0.2: ALL\n', deny, 'in.a', '192.0.2.1'), false);
  });
  it('wildcards take time proportional to pattern and name (fuzz: *a*a*a*a*a*] against a long name took minutes)', async () => {
    const name = 'a'.repeat(250);
    const started = performance.now();
    assert.equal(await decide('ALL: *a*a*a*a*a*a*a*a*a*a*]\n', 'ALL: ALL\n', 'x', '192.0.2.1', name), false);
    assert.equal(await decide('ALL: *?*?*?*?*?*?*?*?*?*?:\n', 'ALL: ALL\n', 'x', '192.0.2.1', name), false);
    assert.equal(await decide('ALL: *a*a*a*a*a*a*a*a*a*a*\n', 'ALL: ALL\n', 'x', '192.0.2.1', name), true);
    assert.ok(performance.now() - started < 1000, `${performance.now() - started} ms`);
    assert.equal(await decide('ALL: A?.*.Example.*\n', 'ALL: ALL\n', 'x', '192.0.2.1', 'ab.cd.example.com'), true);
    assert.equal(await decide('ALL: a?.*.example.*\n', 'ALL: ALL\n', 'x', '192.0.2.1', 'abc.cd.example.com'), false);
  });
  it('/file patterns are read when used', async () => {
    const dir = tempDir();
    const list = join(dir, 'trusted');
    writeFileSync(list, '# trusted hosts\n10.9.9.9 10.8.8.\n');
    assert.equal(await decide(`ALL: ${list}\n`, 'ALL: ALL\n', 'x', '10.8.8.1'), true);
    assert.equal(await decide(`ALL: ${list}\n`, 'ALL: ALL\n', 'x', '10.7.7.7'), false);
  });
  it('options: allow/deny decide, a syntax error or twist refuses, others are reported', async () => {
    assert.equal(await decide('', 'ALL: 10.0.0.1 : allow\n', 'x', '10.0.0.1'), true);
    assert.equal(await decide('ALL: 10.0.0.1 : deny\n', '', 'x', '10.0.0.1'), false);
    assert.equal(await decide('ALL: 10.0.0.1 : bogus\n', '', 'x', '10.0.0.1'), false);
    // Found by fuzzing: names of Object.prototype were options (ignored); tcpdmatch denies them as bad options.
    assert.equal(await decide('ALL: 10.0.0.1 : constructor\n', '', 'x', '10.0.0.1'), false);
    assert.equal(parseOptions('__proto__').error, 'bad option name: "__proto__"');
    assert.equal(await decide('ALL: 10.0.0.1 : twist /bin/echo no\n', '', 'x', '10.0.0.1'), false);
    assert.equal(await decide('ALL: 10.0.0.1 : deny : severity auth.info\n', '', 'x', '10.0.0.1'), false);
    assert.deepEqual(parseOptions('severity auth.info : spawn echo %a\\: x : allow').ignored, ['severity', 'spawn']);
    const t = parseHostsTable('ALL: ALL : spawn echo hi\nbad line\nALL: @admins\n', 'h');
    assert.deepEqual(t.diagnostics.map((d) => `${d.at.line} ${d.message}`), [
      '1 option spawn is not supported by xinetd-ts and is ignored',
      '2 missing ":" separator',
      '3 NIS netgroup @admins is not supported: it matches nothing',
    ]);
  });
});

/** Our decision and tcpdmatch's for `client` on files written into `dir`, with `daemon` as the name. */
async function both(dir: string, allow: string, deny: string, daemon: string, client: string): Promise<[boolean, boolean]> {
  writeFileSync(join(dir, 'hosts.allow'), allow);
  writeFileSync(join(dir, 'hosts.deny'), deny);
  return [await decide(allow, deny, daemon, client), await tcpdmatch(dir, daemon, client)];
}

describe('agreement with Debian tcpdmatch on /file lists and masks', () => {
  it('reads a /file as whitespace-separated tokens: no comments, no commas, nested files', async () => {
    const dir = tempDir('xinetd-ts-tcpd-');
    const list = join(dir, 'list4');
    const nested = join(dir, 'list3');
    const loop = join(dir, 'loop');
    writeFileSync(list, `# 127.0.0.4\n127.0.0.2,127.0.0.5\n127.0.0.6 #127.0.0.7\n127.0.0.3 127.0.0.9, ${nested}\n`);
    writeFileSync(nested, '127.0.0.8\n');
    // tcpd recurses into a file that names itself until its stack overflows; the cases below
    // only reach the loop after a match, so tcpdmatch answers.
    writeFileSync(loop, `127.0.0.10 ${loop}\n`);
    // tcpdmatch's answers: '#' is a token, a comma is part of a token, a nested /file is read.
    const expected: Record<string, boolean> = {
      '127.0.0.2': false, '127.0.0.3': true, '127.0.0.4': true, '127.0.0.5': false,
      '127.0.0.6': true, '127.0.0.7': false, '127.0.0.8': true, '127.0.0.9': false,
    };
    for (const [client, granted] of Object.entries(expected)) {
      const [ours, tcpd] = await both(dir, `r1: ${list}\n`, 'ALL: ALL\n', 'r1', client);
      assert.equal(tcpd, granted, `tcpdmatch for ${client}`);
      assert.equal(ours, tcpd, `r1 from ${client}: ours ${ours}, tcpdmatch ${tcpd}`);
    }
    // A chain deeper than a few files still matches, as in tcpd.
    const chain = Array.from({ length: 12 }, (_, i) => join(dir, `chain${i}`));
    chain.forEach((f, i) => writeFileSync(f, i + 1 < chain.length ? `${chain[i + 1]}\n` : '127.0.0.7\n'));
    assert.deepEqual(await both(dir, `r2: ${chain[0]}\n`, 'ALL: ALL\n', 'r2', '127.0.0.7'), [true, true]);
    assert.deepEqual(await both(dir, `r3: ${loop}\n`, 'ALL: ALL\n', 'r3', '127.0.0.10'), [true, true]);
    // Where tcpd would crash, a file naming itself matches nothing.
    assert.equal(await decide(`r3: ${loop}\n`, 'ALL: ALL\n', 'r3', '127.0.0.11'), false);
  });

  it('parses net/mask as tcpd: four-part inet_addr forms, 255.255.255.255 is no mask, /len read by atoi', async () => {
    const dir = tempDir('xinetd-ts-tcpd-');
    // [pattern, client, tcpdmatch's answer]
    const cases: [string, string, boolean][] = [
      ['127.0.0.1/255.255.255.255', '127.0.0.1', false],
      ['255.255.255.255/255.255.255.255', '255.255.255.255', false],
      ['255.255.255.255/32', '255.255.255.255', false],
      ['127.0.0.1/0377.255.255.255', '127.0.0.1', false],
      ['127.0.0.1/32', '127.0.0.1', true],
      ['127.0.0.1/32', '::ffff:127.0.0.1', true],
      ['127.0.0.0/0', '127.0.0.1', false],
      ['0.0.0.0/0', '127.0.0.1', false],
      ['0.0.0.0/0.0.0.0', '127.0.0.1', true],
      ['127.0.0.0/-8', '127.0.0.1', false],
      ['127.0.0.0/0x8', '127.0.0.1', false],
      ['127.0.0.0/8x', '127.0.0.1', true],
      ['127.0.0.0/+8', '127.0.0.1', true],
      ['127.0.0.0/08', '127.0.0.1', true],
      ['127.0.0.0/4294967304', '127.0.0.1', true],
      ['127.0.0.0/9223372036854775807', '127.0.0.1', false],
      ['127.0.0.0/33', '127.0.0.1', false],
      ['127.0.0.010/255.255.255.254', '127.0.0.8', true],
      ['127.0.0.010/255.255.255.254', '127.0.0.10', false],
      ['0x7f.0.0.0/0377.0xff.0.0', '127.0.0.1', true],
      ['127.0.0.0/255.255.255', '127.0.0.1', false],
      ['127.0.0.0/255.255.255.09', '127.0.0.5', false],
      ['127.0.0.1/255.255.255.254', '127.0.0.1', false],
      ['127.0.0.0/255.255.255.254', '127.0.0.1', true],
      ['[::1]/128', '::1', true],
      ['[::1]/+128', '::1', true],
      ['[::1]/128x', '::1', true],
      ['[::1]/abc', '::2', true],
      ['[::1]/', '::2', true],
      ['[::1]/-5', '::1', false],
      ['[::1]/129', '::1', false],
      ['[::1]/4294967424', '::2', false],
      ['[::1]/127', '::', true],
      // A scope is read as getaddrinfo reads it (a number or an interface) and not compared.
      ['[fe80::1%lo]', 'fe80::1', true],
      ['[fe80::1%99]', 'fe80::1', true],
      ['[fe80::1%no-such-if]', 'fe80::1', false],
      ['[fe80::%lo]/64', 'fe80::1', true],
      ['[fe80::%no-such-if]/64', 'fe80::1', false],
    ];
    for (const [pattern, client, granted] of cases) {
      const [ours, tcpd] = await both(dir, `x: ${pattern}\n`, 'ALL: ALL\n', 'x', client);
      assert.equal(tcpd, granted, `tcpdmatch for ${pattern} from ${client}`);
      assert.equal(ours, tcpd, `${pattern} from ${client}: ours ${ours}, tcpdmatch ${tcpd}`);
    }
  });
});

/** A small deterministic generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  return () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
}

describe('agreement with Debian tcpdmatch on generated rule sets', () => {
  it('decides as tcpdmatch -d for numeric patterns, EXCEPT, daemon lists and options', async () => {
    const pick = <T>(r: () => number, xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
    const clientPatterns = ['ALL', '127.0.0.2', '127.0.0.', '127.0.0.0/255.255.255.252', '127.0.0.0/30', '10.', '10.1.0.0/16', '[::1]', '[::]/0',
      '127.0.0.?', '10.*', 'UNKNOWN', 'KNOWN', '127.0.0.3'];
    const daemons = ['ALL', 'in.a', 'in.b', 'in.*'];
    const optionsPool = ['', '', ' : allow', ' : deny', ' : severity auth.info', ' : bogus'];
    const clients = ['127.0.0.2', '127.0.0.3', '127.0.0.5', '10.1.2.3', '10.2.0.1', '::1', '::2'];
    const r = rng(5);
    let compared = 0;
    const outcomes = new Set<boolean>();
    for (let set = 0; set < 40; set++) {
      const rule = () => {
        const ds = [pick(r, daemons)];
        if (r() < 0.3) ds.push('EXCEPT', pick(r, daemons));
        const cs = [pick(r, clientPatterns), pick(r, clientPatterns)];
        if (r() < 0.4) cs.push('EXCEPT', pick(r, clientPatterns));
        return `${ds.join(' ')} : ${cs.join(', ')}${pick(r, optionsPool)}\n`;
      };
      const allow = Array.from({ length: 1 + Math.floor(r() * 3) }, rule).join('');
      const deny = Array.from({ length: 1 + Math.floor(r() * 3) }, rule).join('');
      const dir = tempDir('xinetd-ts-tcpd-');
      writeFileSync(join(dir, 'hosts.allow'), allow);
      writeFileSync(join(dir, 'hosts.deny'), deny);
      for (const daemon of ['in.a', 'in.b']) {
        for (const client of clients) {
          const expected = await tcpdmatch(dir, daemon, client);
          const v = await hostsAccess(parseHostsTable(allow, 'hosts.allow'), parseHostsTable(deny, 'hosts.deny'), wrapRequest(daemon, client, undefined, names, files));
          assert.equal(v.allowed, expected, `set ${set}: ${daemon} from ${client}\nhosts.allow:\n${allow}hosts.deny:\n${deny}ours: ${v.reason}`);
          outcomes.add(expected);
          compared++;
        }
      }
    }
    assert.equal(compared, 40 * 2 * 7);
    assert.equal(outcomes.size, 2, 'the generated sets both grant and deny');
  });
});
