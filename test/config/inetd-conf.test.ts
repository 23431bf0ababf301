import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { itox, parseInetdConf } from '../../core/config/inetd-conf.js';
import { MAX_LINE_BYTES, parseClassicConfig } from '../../core/config/xinetd-conf.js';
import type { RawSection } from '../../core/config/raw.js';

function tempFile(name: string, text: string): string {
  const file = path.join(realpathSync(mkdtempSync(path.join(os.tmpdir(), 'xi-inetd-'))), name);
  writeFileSync(file, text);
  return file;
}

/** `attr=v1 v2` strings of a section. */
function attrs(section: RawSection | undefined): string[] {
  return (section?.entries ?? []).map((e) => `${e.attr}=${e.values.join(' ')}`);
}

const INETD_CONF = [
  '# /etc/inetd.conf test copy',
  '',
  'echo\tstream\ttcp\tnowait\troot\tinternal',
  'discard  dgram  udp  wait  root  internal',
  'telnet stream tcp nowait.400 telnetd.telnetd /usr/sbin/tcpd /usr/sbin/in.telnetd -h',
  'ftp stream tcp6 nowait root:ftp /usr/sbin/tcpd in.ftpd # trailing # is an argument',
  'rstatd/1-3 dgram rpc/udp wait root /usr/sbin/rpc.rstatd rpc.rstatd',
  'finger stream tcp nowait nobody /usr/sbin/in.fingerd',
  'broken stream tcp',
  '   # indented comment',
].join('\n');

describe('parseInetdConf (-inetd_compat)', () => {
  it('drops a /suffix from a name whose protocol is not rpc, as xinetd does (time/1 is time)', () => {
    const file = tempFile('inetd.conf', 'time/1 stream tcp nowait root /bin/date date\nrstatd/1-3 dgram rpc/udp wait root /usr/sbin/rpc.rstatd rpc.rstatd\n');
    const { sections, diagnostics } = parseInetdConf(file);
    assert.deepEqual(sections.map((s) => s.name), ['time']);
    assert.deepEqual(diagnostics.map((d) => `${d.level} ${d.at?.line} ${d.message}`), [
      'debug 1 added service time',
      'warning 2 inetd.conf entry rstatd/1-3 is an RPC service: skipped, as xinetd skips it (write it as a type = RPC service)',
    ]);
  });

  it('converts every entry the way xinetd does, with correct internal ids', () => {
    const file = tempFile('inetd.conf', INETD_CONF);
    const { sections, diagnostics } = parseInetdConf(file);
    assert.deepEqual(
      sections.map((s) => `${s.name}@${s.at.line} ${s.origin}`),
      ['echo@3 inetd', 'discard@4 inetd', 'telnet@5 inetd', 'ftp@6 inetd', 'finger@8 inetd'],
    );
    assert.deepEqual(attrs(sections[0]), [
      'id=echo-stream',
      'type=INTERNAL',
      'socket_type=stream',
      'protocol=tcp',
      'wait=no',
      'user=root',
      'groups=yes',
    ]);
    // xinetd rejects an internal discard (a bug); xinetd-ts accepts it.
    assert.deepEqual(attrs(sections[1]).slice(0, 5), ['id=discard-dgram', 'type=INTERNAL', 'socket_type=dgram', 'protocol=udp', 'wait=yes']);
    assert.deepEqual(attrs(sections[2]), [
      'socket_type=stream',
      'protocol=tcp',
      'wait=no',
      'user=telnetd',
      'group=telnetd',
      'groups=yes',
      'flags=NAMEINARGS NOLIBWRAP REUSE',
      'server=/usr/sbin/tcpd',
      'server_args=/usr/sbin/in.telnetd -h',
    ]);
    assert.deepEqual(attrs(sections[3]), [
      'socket_type=stream',
      'protocol=tcp',
      'wait=no',
      'user=root',
      'group=ftp',
      'groups=yes',
      'flags=NAMEINARGS NOLIBWRAP REUSE IPv6',
      'server=/usr/sbin/tcpd',
      'server_args=in.ftpd # trailing # is an argument',
    ]);
    assert.deepEqual(attrs(sections[4]).slice(-2), ['server=/usr/sbin/in.fingerd', 'server_args=in.fingerd']);
    for (const section of sections) {
      for (const entry of section.entries) assert.deepEqual(entry.at, section.at);
      assert.equal(entry0Op(section), '=');
    }
    assert.deepEqual(
      diagnostics.map((d) => `${d.level} ${d.at?.file === file ? 'ok' : d.at?.file} ${d.at?.line} ${d.message}`),
      [
        'debug ok 3 added service echo',
        'debug ok 4 added service discard',
        'debug ok 5 added service telnet',
        'debug ok 6 added service ftp',
        'warning ok 7 inetd.conf entry rstatd/1-3 is an RPC service: skipped, as xinetd skips it (write it as a type = RPC service)',
        'debug ok 8 added service finger',
        'warning ok 9 inetd.conf line has fewer than 6 fields: broken stream tcp',
      ],
    );
  });

  it('yields nothing for a missing file', () => {
    assert.deepEqual(parseInetdConf('/nonexistent/inetd.conf'), { sections: [], diagnostics: [] });
  });

  it('accepts CRLF lines', () => {
    const file = tempFile('inetd.conf', 'echo stream tcp nowait root internal\r\n');
    assert.deepEqual(attrs(parseInetdConf(file).sections[0]).slice(0, 2), ['id=echo-stream', 'type=INTERNAL']);
  });
});

function entry0Op(section: RawSection): string | undefined {
  return section.entries[0]?.op;
}

describe('itox', () => {
  it('writes one aligned service block per entry, dropping tcpd and argv0', () => {
    const { text, warnings } = itox(INETD_CONF, { daemonDir: '/usr/libexec' });
    const telnet = text.split('\n\n').find((block) => block.startsWith('service telnet'));
    assert.equal(
      telnet,
      [
        'service telnet',
        '{',
        '\tsocket_type = stream',
        '\tprotocol    = tcp',
        '\twait        = no',
        '\tuser        = telnetd',
        '\tgroup       = telnetd',
        '\tserver      = /usr/sbin/in.telnetd',
        '\tserver_args = -h',
        '}',
      ].join('\n'),
    );
    assert.match(text, /service ftp\n\{\n(.*\n)*\tflags       = IPv6\n\tserver      = \/usr\/libexec\/in\.ftpd\n\tserver_args = # trailing # is an argument\n\}/);
    assert.match(text, /service echo\n\{\n\tid          = echo-stream\n\ttype        = INTERNAL\n/);
    assert.match(text, /service finger\n(.*\n)*\tserver      = \/usr\/sbin\/in\.fingerd\n\}/);
    assert.match(text, /service rstatd\n\{\n\ttype        = RPC\n\trpc_version = 1-3\n\tsocket_type = dgram\n\tprotocol    = udp\n\twait        = yes\n\tuser        = root\n\tserver      = \/usr\/sbin\/rpc\.rstatd\n\}/);
    assert.deepEqual(warnings, [
      'line 5: the .max suffix of the wait field of telnet was dropped',
      'line 9: inetd.conf line has fewer than 6 fields: broken stream tcp',
    ]);
  });

  it('warns when tcpd wraps a relative daemon and no daemon directory is given', () => {
    const { text, warnings } = itox('ftp stream tcp nowait root /usr/sbin/tcpd in.ftpd -l\n');
    assert.match(text, /\tserver      = in\.ftpd\n\tserver_args = -l\n/);
    assert.deepEqual(warnings, ['line 1: ftp runs through tcpd but no daemon directory was given; server = in.ftpd is not absolute']);
  });

  it('produces text the classic parser reads without errors', () => {
    const { text } = itox(INETD_CONF, { daemonDir: '/usr/libexec' });
    const cfg = parseClassicConfig(tempFile('xinetd.conf', text));
    assert.deepEqual(cfg.diagnostics, []);
    assert.deepEqual(
      cfg.sections.map((s) => s.name),
      ['echo', 'discard', 'telnet', 'ftp', 'rstatd', 'finger'],
    );
    assert.deepEqual(attrs(cfg.sections[2]).slice(-2), ['server=/usr/sbin/in.telnetd', 'server_args=-h']);
  });

  it('skips a line longer than xinetd.conf allows, so that what it writes reads back (fuzz: a 17 KiB name made an unreadable service)', () => {
    const long = `echo${'x'.repeat(MAX_LINE_BYTES)} stream tcp nowait root internal`;
    const { text, warnings } = itox(`${long}\necho stream tcp nowait root internal\n`);
    assert.deepEqual(warnings, [`line 1: line too long (more than ${MAX_LINE_BYTES} bytes); ignored`]);
    const cfg = parseClassicConfig(tempFile('xinetd.conf', text));
    assert.deepEqual(cfg.diagnostics, []);
    assert.deepEqual(cfg.sections.map((s) => s.name), ['echo']);
    const compat = parseInetdConf(tempFile('inetd.conf', `${long}\n`));
    assert.deepEqual(compat.sections, []);
    assert.deepEqual(compat.diagnostics.map((d) => `${d.level} ${d.at?.line} ${d.message}`), [`warning 1 line too long (more than ${MAX_LINE_BYTES} bytes); ignored`]);
    // A tcpd entry whose daemon directory makes the server line too long is skipped too.
    const argv0 = 'd'.repeat(MAX_LINE_BYTES - 45);
    const wrapped = itox(`ftp stream tcp nowait root /usr/sbin/tcpd ${argv0}\n`, { daemonDir: '/usr/local/libexec/wrapped-daemons' });
    assert.deepEqual(wrapped.warnings, [`line 1: the service for ftp would have a line longer than ${MAX_LINE_BYTES} bytes`]);
    assert.deepEqual(parseClassicConfig(tempFile('xinetd.conf', wrapped.text)).sections, []);
  });
});
