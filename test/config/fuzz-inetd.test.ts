/**
 * Fuzz of inetd.conf: the -inetd_compat reader and the itox converter. Mutated Debian-style
 * inetd.conf files never make either throw; every diagnostic and entry names a line of the file;
 * the compatibility entries resolve without a throw; and what itox writes is xinetd.conf that
 * the classic parser reads without a syntax error, one service per converted line.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { itox, parseInetdLine, parseInetdText } from '../../core/config/inetd-conf.js';
import { parseClassicConfig } from '../../core/config/xinetd-conf.js';
import { textFromBytes } from '../../core/raw-text.js';
import { fuzz, mutate, summary } from '../helpers/fuzz.js';
import { assertDiagnosticLocated, assertLocated, assertProblemsLocated, fuzzDaemon, offlineLookups, resolveWith } from '../helpers/fuzz-config.js';

offlineLookups();
const daemon = fuzzDaemon();
const dir = realpathSync(mkdtempSync(join(tmpdir(), 'xinetd-ts-fuzz-inetd-')));

/** inetd.conf as Debian's update-inetd writes it, with the forms the reader knows. */
const CORPUS = [
  [
    '# /etc/inetd.conf:  see inetd(8) for further informations.',
    '#',
    '# <service_name> <sock_type> <proto> <flags> <user> <server_path> <args>',
    '#:INTERNAL: Internal services',
    'discard\t\tstream\ttcp\tnowait\troot\tinternal',
    'discard\t\tdgram\tudp\twait\troot\tinternal',
    'daytime\t\tstream\ttcp\tnowait\troot\tinternal',
    'time\t\tstream\ttcp\tnowait\troot\tinternal',
    '#:STANDARD: These are standard services.',
    'telnet stream tcp nowait.400 telnetd.telnetd /usr/sbin/tcpd /usr/sbin/in.telnetd -h',
    'ftp stream tcp6 nowait root:ftp /usr/sbin/tcpd in.ftpd # trailing # is an argument',
    '#:RPC: RPC based services',
    'rstatd/1-3 dgram rpc/udp wait root /usr/sbin/rpc.rstatd rpc.rstatd',
    'finger stream tcp4 nowait/100 nobody /usr/sbin/in.fingerd in.fingerd -w',
    'tftp dgram udp wait.1000 root.root /usr/sbin/in.tftpd in.tftpd -s /srv/tftp',
    'time/1 stream tcp nowait root /bin/date date',
    'broken stream tcp',
    '   # indented comment',
    '',
  ].join('\n'),
  'echo stream tcp nowait root internal\r\necho dgram udp wait root internal\r\n',
];
const DICTIONARY = [
  'stream', 'dgram', 'raw', 'seqpacket', 'tcp', 'udp', 'tcp6', 'udp4', 'rpc/tcp', 'rpc/', 'rpc', 'wait', 'nowait', 'nowait.', 'wait.x', 'wait/', '.',
  'root', 'nobody', 'root:', ':', 'root.', 'internal', 'INTERNAL', '/usr/sbin/tcpd', 'tcpd', 'in.x', '/', '//', 'a/b', '/1-3', '/x',
  '{', '}', '=', '+=', '#', 'service', 'defaults', 'include', 'includedir', '__proto__', 'constructor', '\\', '\r', '\t',
];

test('inetd.conf: the -inetd_compat reader and itox on mutated files', async (t) => {
  const file = join(dir, 'inetd.conf');
  const converted = join(dir, 'converted');
  const run = await fuzz('inetd', { seed: 3301, count: 3000, caseMs: 500 }, (rng) => textFromBytes(mutate(rng, rng.pick(CORPUS), { dictionary: DICTIONARY, donors: CORPUS })), async (text) => {
    const { sections, diagnostics } = parseInetdText(text, file);
    const counts = new Map([[file, Math.max(1, text.split('\n').length)]]);
    for (const d of diagnostics) assertDiagnosticLocated(d, counts);
    for (const s of sections) {
      assertLocated(s.at, counts, `entry ${s.name}`);
      assert.ok(s.name !== '', 'an entry without a name');
    }
    const resolved = await resolveWith(daemon, { sections, diagnostics, files: [file], plugins: [], source: file });
    assertProblemsLocated(resolved.diagnostics, counts);

    const out = itox(text, { daemonDir: '/usr/sbin' });
    for (const w of out.warnings) assert.match(w, /^line \d+: /);
    writeFileSync(converted, out.text);
    const reread = parseClassicConfig(converted);
    const syntax = reread.diagnostics.filter((d) => d.level === 'error' || d.level === 'warning');
    assert.deepEqual(syntax.map((d) => `${d.at?.line}: ${d.message}`), [], `itox wrote xinetd.conf with syntax errors:\n${out.text}`);
    const entries = text.split('\n').filter((l) => ['entry', 'rpc'].includes(parseInetdLine(l).kind)).length;
    assert.equal(reread.sections.length, entries, `one service per converted line:\n${out.text}`);
  });
  t.diagnostic(summary(run));
});
