/**
 * Fuzz of hosts.allow / hosts.deny: mutated tables (every pattern form, EXCEPT, options, /file
 * patterns, continuation lines) never make the parser or the matcher throw, every diagnostic and
 * rule names a line of its file, and a decision takes milliseconds (the matcher runs per
 * connection, on the daemon's event loop). No name is looked up: every address has its answer.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { NameResolver } from '../../plugins/access/reverse-lookup.js';
import { parseHostsTable, type HostsTable } from '../../plugins/libwrap/hosts-files.js';
import { hostsAccess } from '../../plugins/libwrap/hosts-match.js';
import { parseOptions } from '../../plugins/libwrap/hosts-options.js';
import { PatternFiles, wrapRequest } from '../../plugins/libwrap/request.js';
import { textFromBytes } from '../../core/raw-text.js';
import { fuzz, longToken, mutate, summary, type Rng } from '../helpers/fuzz.js';

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'xinetd-ts-fuzz-hosts-')));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const trusted = file('trusted', '127.0.0.2 10.0.0. [::1]\n# not a comment 127.0.0.3\n');
const selfish = join(dir, 'selfish');
writeFileSync(selfish, `127.0.0.9 ${selfish}\n`);
mkdirSync(join(dir, 'a-directory'));

/** The tables of the libwrap tests and the manual's forms: what the mutations start from. */
const CORPUS = [
  'in.a : 10.0.0.1\n',
  'ALL: ALL\n',
  '# in.a: ALL\nin.a, in.b : \\\n 10.0.0.2\n',
  'ALL: .example.com\nALL: 192.0.2.\nALL: 192.0.2.0/255.255.255.0\nALL: 192.0.2.0/24\nALL: [2001:db8::]/32\nALL: [::1]\n',
  'ALL: 192.0.2.?\nALL: *.example.com\nALL: LOCAL\nALL: KNOWN\nALL: UNKNOWN\nALL: PARANOID\n',
  'ALL: ALL EXCEPT 192.0.2.1\nALL EXCEPT in.b: ALL\nin.a@127.0.0.1: ALL\nin.a@127.0.0.2: ALL\n',
  `ALL: ${trusted}\nin.x: ${selfish}, ${join(dir, 'a-directory')}, /nonexistent\n`,
  'ALL: 10.0.0.1 : allow\nALL: 10.0.0.1 : deny\nALL: 10.0.0.1 : bogus\nALL: 10.0.0.1 : twist /bin/echo no\n',
  'ALL: 10.0.0.1 : deny : severity auth.info\nALL: ALL : spawn echo %a\\: x : allow\nbad line\nALL: @admins\n',
  'sshd: user@10.0.0.1 EXCEPT ALL@10.0.0.2 : setenv A 1 : umask 022 : nice 5 : linger 3 : keepalive : rfc931 : banners /tmp\n',
  'ALL: 127.0.0.0/0 0.0.0.0/0.0.0.0 0x7f.0.0.0/0377.0xff.0.0 127.0.0.0/8x [::1]/+128 [::1]/abc [fe80::%lo]/64\n',
  'ALL EXCEPT in.telnetd: ALL EXCEPT .bad.example EXCEPT good.bad.example\n',
];

const DICTIONARY = [
  ':', '::', ',', ' ', '\\', '\\\n', '#', '@', 'ALL', 'EXCEPT', 'LOCAL', 'KNOWN', 'UNKNOWN', 'PARANOID', 'all', 'except',
  'allow', 'deny', 'twist', 'aclexec', 'spawn', 'severity', 'setenv', 'umask', 'user', 'group', 'nice', 'keepalive', 'linger', 'rfc931', 'banners',
  '__proto__', 'constructor', 'toString', 'hasOwnProperty', '=', '\\:',
  '*', '?', '**', '*.*', '.', '..', '.example.com', 'in.a', 'in.*', 'sshd', '@netgroup', 'user@host', '@', '[', ']', '[::1]', '[::]/0', '[fe80::%lo]',
  '127.0.0.1', '127.0.0.', '127.', '0.0.0.0/0', '127.0.0.0/255.0.0.0', '1.2.3.4/', '/32', '/255.255.255.255', '/-1', '/99999999999999999999',
  trusted, selfish, join(dir, 'a-directory'), '/dev/zero', '/dev/null', '/',
];

const CLIENTS = ['127.0.0.1', '127.0.0.2', '10.0.0.1', '192.0.2.1', '::1', '::ffff:10.0.0.1', 'fe80::1%lo', '2001:db8::7', 'unknown', ''];
const NAMES = ['localhost', 'gateway', 'a.example.com', 'good.bad.example', 'x.bad.example', 'A.EXAMPLE.COM', 'a'.repeat(250), null];
const DAEMONS = ['in.a', 'in.b', 'sshd', 'in.telnetd', 'x', 'ALL', '', 'constructor', 'in.a@127.0.0.1'];

/** A matcher run with no name look-up: every address it meets has an answer. */
function requestFor(rng: Rng, files: PatternFiles, pool: readonly (string | null)[] = NAMES) {
  const names = new NameResolver();
  for (const address of [...CLIENTS, '127.0.0.1']) names.override(address, rng.pick(pool));
  return wrapRequest(rng.pick(DAEMONS), rng.pick(CLIENTS), rng.chance(0.9) ? '127.0.0.1' : undefined, names, files);
}

/** Lines as the parser counts them. */
const lineCount = (text: string) => Math.max(1, text.split('\n').length - (text.endsWith('\n') ? 1 : 0));

function checkTable(table: HostsTable, text: string): void {
  const lines = lineCount(text);
  const within = (line: number, what: string) => assert.ok(Number.isInteger(line) && line >= 1 && line <= lines, `${what} at line ${line} of ${lines}`);
  for (const d of table.diagnostics) {
    assert.equal(d.at.file, table.file);
    within(d.at.line, `diagnostic "${d.message}"`);
  }
  for (const r of table.rules) within(r.at.line, `rule "${r.text}"`);
  // Bounded memory: a rule a line at most, a diagnostic per pattern (an @netgroup, a user@host) and a few per line.
  const patterns = table.rules.reduce((n, r) => n + r.daemons.length + r.clients.length, 0);
  assert.ok(table.rules.length <= lines && table.diagnostics.length <= patterns + 4 * lines, `${table.rules.length} rules, ${table.diagnostics.length} diagnostics from ${lines} lines`);
}

const mutateTable = (rng: Rng) => textFromBytes(mutate(rng, rng.pick(CORPUS), { dictionary: DICTIONARY, donors: CORPUS, maxLong: 4096 }));

test('hosts.allow / hosts.deny: mutated tables are parsed and matched, quickly, without a throw', async (t) => {
  const files = new PatternFiles();
  const run = await fuzz('hosts', { seed: 4401, count: 3000, caseMs: 250 }, (rng) => ({ allow: mutateTable(rng), deny: mutateTable(rng) }), async ({ allow, deny }, rng) => {
    const allowTable = parseHostsTable(allow, '/fuzz/hosts.allow');
    const denyTable = parseHostsTable(deny, '/fuzz/hosts.deny');
    checkTable(allowTable, allow);
    checkTable(denyTable, deny);
    for (let i = 0; i < 4; i++) {
      const verdict = await hostsAccess(allowTable, denyTable, requestFor(rng, files));
      assert.equal(typeof verdict.allowed, 'boolean');
      assert.equal(typeof verdict.reason, 'string');
      if (verdict.rule) assert.ok(allowTable.rules.includes(verdict.rule) || denyTable.rules.includes(verdict.rule));
    }
  });
  t.diagnostic(summary(run));
});

test('hosts patterns: long wildcards, brackets and lists are matched in bounded time', async (t) => {
  const files = new PatternFiles();
  // Long names made of the letters the patterns use: where a backtracking matcher is slowest.
  const longNames = ['a'.repeat(250), `${'a.'.repeat(120)}b`, `${'ab'.repeat(100)}.example`, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:'];
  const run = await fuzz('hosts-patterns', { seed: 4402, count: 1000, caseMs: 250 }, (rng) => {
    const wildcards = () => Array.from({ length: 2 + rng.int(16) }, () => rng.pick(['*', '?', 'a', '*a', 'a*', '*?'])).join('') + rng.pick(['', 'a', 'b', '.', ']', ':', '*']);
    const pattern = () => (rng.chance(0.3) ? longToken(rng, DICTIONARY, 2000) : wildcards());
    return `${rng.chance(0.3) ? pattern() : 'ALL'} : ${pattern()}${rng.chance(0.5) ? ` EXCEPT ${pattern()}` : ''}\n`;
  }, async (allow, rng) => {
    const table = parseHostsTable(allow, '/fuzz/hosts.allow');
    checkTable(table, allow);
    await hostsAccess(table, parseHostsTable('ALL: ALL\n', '/fuzz/hosts.deny'), requestFor(rng, files, longNames));
  });
  t.diagnostic(summary(run));
});

test('hosts options: a prototype name is an unknown option, as any other', () => {
  for (const word of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
    const plain = parseOptions(word.replace(/[a-z]/g, 'q').replace(/[A-Z]/g, 'Q'));
    const options = parseOptions(word);
    assert.equal(options.error, plain.error?.replace(/"[^"]*"/, `"${word}"`), `option ${word}`);
    assert.deepEqual(options.ignored, []);
  }
});
