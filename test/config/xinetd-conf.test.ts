import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseClassicConfig, parseClassicConfigSliced } from '../../core/config/xinetd-conf.js';
import type { Diagnostic, RawConfig, RawSection } from '../../core/config/raw.js';
import { turnsDuring, yieldEveryStep } from '../helpers/event-loop.js';

const fixtures = path.resolve(fileURLToPath(import.meta.url), '../../../../test/fixtures/conf');

function tempDir(): string {
  return realpathSync(mkdtempSync(path.join(os.tmpdir(), 'xi-classic-')));
}

function write(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

function parseText(text: string): { cfg: RawConfig; file: string } {
  const file = write(tempDir(), 'xinetd.conf', text);
  return { cfg: parseClassicConfig(file), file };
}

/** Diagnostics as `level line message` strings (file checked separately). */
function diags(cfg: RawConfig, file?: string): string[] {
  return cfg.diagnostics.map((d: Diagnostic) => {
    if (file !== undefined) assert.equal(d.at?.file, file, `diagnostic ${d.message} has the wrong file`);
    return `${d.level} ${d.at?.line ?? '?'} ${d.message}`;
  });
}

/** Sections as `kind name@line: attr op values | ...`. */
function shape(cfg: RawConfig): string[] {
  return cfg.sections.map((s: RawSection) => {
    const entries = s.entries.map((e) => `${e.attr} ${e.op} ${e.values.join(',')}@${e.at.line}`);
    return `${s.kind} ${s.name}@${s.at.line}${s.broken ? ' BROKEN' : ''}: ${entries.join(' | ')}`;
  });
}

describe('classic parser: golden', () => {
  it('produces the full RawConfig for a small file', () => {
    const { cfg, file } = parseText(
      [
        '# header',
        'defaults',
        '{',
        '\tlog_type = SYSLOG daemon info',
        '\tonly_from += 127.0.0.1',
        '}',
        '',
        'service echo',
        '{',
        '\tsocket_type = stream',
        '\tonly_from -= 10.0.0.1',
        '\tonly_from =',
        '}',
      ].join('\n') + '\n',
    );
    const at = (line: number) => ({ file, line });
    assert.deepEqual(cfg, {
      sections: [
        {
          kind: 'defaults',
          name: '',
          at: at(2),
          origin: 'xinetd',
          diagnosticsBefore: 0,
          entries: [
            { attr: 'log_type', op: '=', values: ['SYSLOG', 'daemon', 'info'], at: at(4) },
            { attr: 'only_from', op: '+=', values: ['127.0.0.1'], at: at(5) },
          ],
        },
        {
          kind: 'service',
          name: 'echo',
          at: at(8),
          origin: 'xinetd',
          diagnosticsBefore: 0,
          entries: [
            { attr: 'socket_type', op: '=', values: ['stream'], at: at(10) },
            { attr: 'only_from', op: '-=', values: ['10.0.0.1'], at: at(11) },
            { attr: 'only_from', op: '=', values: [], at: at(12) },
          ],
        },
      ],
      diagnostics: [],
      files: [file],
      plugins: [],
      source: file,
    });
  });

  it('treats # as text except at the start of a line, and never quotes', () => {
    const { cfg } = parseText('service a\n{\n   # indented comment\n\tserver_args = -l # note "two words"\n}\n');
    assert.deepEqual(cfg.diagnostics, []);
    assert.deepEqual(cfg.sections[0]?.entries[0]?.values, ['-l', '#', 'note', '"two', 'words"']);
  });

  it('splits on spaces and TABs, glues values after the operator, keeps attribute case', () => {
    const { cfg } = parseText('SERVICE a\n{\n\tPort =23\n  Wait\t\t=\tYES  \n\tenv +=A=1\tB=2\n}\n');
    assert.deepEqual(shape(cfg), ['service a@1: Port = 23@3 | Wait = YES@4 | env += A=1,B=2@5']);
  });

  it('accepts keywords in any case', () => {
    const dir = tempDir();
    write(dir, 'inc', 'Service b\n{\n\tx = 1\n}\n');
    const file = write(dir, 'main', 'DEFAULTS\n{\n}\nInclude inc\nsErViCe a\n{\n}\n');
    const cfg = parseClassicConfig(file);
    assert.deepEqual(diags(cfg).filter((d) => !d.startsWith('debug')), []);
    assert.deepEqual(shape(cfg), ['defaults @1: ', 'service b@1: x = 1@3', 'service a@5: ']);
  });
});

describe('classic parser: tolerated layout', () => {
  it('parses CRLF files exactly like LF files', () => {
    const text = 'defaults\n{\n\tinstances = 5\n}\nservice echo\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n}\n';
    const lf = parseText(text).cfg;
    const crlf = parseText(text.replace(/\n/g, '\r\n')).cfg;
    assert.deepEqual(crlf.diagnostics, []);
    assert.deepEqual(shape(crlf), shape(lf));
    assert.deepEqual(crlf.sections[1]?.entries[1]?.values, ['stream']);
  });

  it('accepts no final newline, trailing blanks and tabs around braces', () => {
    const { cfg } = parseText('service a\n  {  \n\twait = no   \t\n\t}\t  \n\n  \t\nservice b\n{\n}');
    assert.deepEqual(cfg.diagnostics, []);
    assert.deepEqual(shape(cfg), ['service a@1: wait = no@3', 'service b@7: ']);
  });

  it('takes a stray } at top level as xinetd does: missing service keyword, the next entry skipped', () => {
    // xinetd 2.3.15 on this file: two `missing service keyword` errors (lines 1 and 5), then
    // `missing } in last service entry` at line 5, and 0 services.
    const { cfg, file } = parseText('}\nservice a\n{\n}\n  }\n');
    assert.deepEqual(diags(cfg, file), [
      'error 1 missing service keyword',
      'error 5 missing service keyword',
      'warning 5 missing } in last service entry',
    ]);
    assert.deepEqual(shape(cfg), []);
  });

  it('ignores a line longer than 16 KiB with an error naming it', () => {
    const long = `\tserver_args = ${'x'.repeat(16 * 1024)}`;
    const { cfg, file } = parseText(`service a\n{\n${long}\n\twait = no\n}\n`);
    assert.deepEqual(diags(cfg, file), ['error 3 line too long (more than 16384 bytes); ignored']);
    assert.deepEqual(shape(cfg), ['service a@1: wait = no@4']);
  });
});

describe('classic parser: top-level errors', () => {
  it("reports `service foo {` and skips the entry to the next lone }", () => {
    const { cfg, file } = parseText('service foo {\n\twait = no\n}\nservice bar\n{\n}\n');
    // xinetd 2.3.15: [line=2], the line read in place of the `{`.
    assert.deepEqual(diags(cfg, file), ["error 2 Service foo: missing '{'"]);
    assert.equal(cfg.diagnostics[0]?.service, 'foo');
    assert.deepEqual(shape(cfg), ['service bar@4: ']);
  });

  it('lets a lone } right after `service foo {` end the skipped entry', () => {
    const { cfg, file } = parseText('service foo {\n}\nservice bar\n{\n}\n');
    assert.deepEqual(diags(cfg, file), ["error 2 Service foo: missing '{'"]);
    assert.deepEqual(shape(cfg), ['service bar@3: ']);
  });

  it('reports a service without a name', () => {
    const { cfg, file } = parseText('service\n{\n\twait = no\n}\nservice b\n{\n}\n');
    assert.deepEqual(diags(cfg, file), ['error 1 service name missing']);
    assert.deepEqual(shape(cfg), ['service b@5: ']);
  });

  it('reports anything else as a missing service keyword and skips to the next }', () => {
    const { cfg, file } = parseText('servce a\n{\n\twait = no\n}\n{\n}\nservice b\n{\n}\n');
    assert.deepEqual(diags(cfg, file), ['error 1 missing service keyword', 'error 5 missing service keyword']);
    assert.deepEqual(shape(cfg), ['service b@7: ']);
  });

  it('drops an entry cut by EOF with `incomplete entry` and `missing }`, at the last line (xinetd)', () => {
    const { cfg, file } = parseText('service a\n{\n}\nservice b\n{\n\twait = no\n\n# end\n');
    assert.deepEqual(diags(cfg, file), ['error 8 incomplete entry', 'warning 8 missing } in last service entry']);
    assert.deepEqual(shape(cfg), ['service a@1: ']);
    const early = parseText('service c\n');
    assert.deepEqual(diags(early.cfg, early.file), ["error 1 Service c: missing '{'", 'warning 1 missing } in last service entry']);
    // No final newline: the last line is still the one the text ends in.
    const cut = parseText('service d\n{\n\twait = no');
    assert.deepEqual(diags(cut.cfg, cut.file), ['error 3 incomplete entry', 'warning 3 missing } in last service entry']);
    // defaults gets no `missing }` after it.
    const defaults = parseText('defaults\n{\n\tinstances = 5\n');
    assert.deepEqual(diags(defaults.cfg, defaults.file), ['error 3 incomplete entry']);
  });

  it('reports EOF while skipping', () => {
    const { cfg, file } = parseText('junk here\n\twait = no\n');
    assert.deepEqual(diags(cfg, file), ['error 1 missing service keyword', 'warning 2 missing } in last service entry']);
    assert.deepEqual(cfg.sections, []);
  });

  it('ignores a second defaults entry in the same file', () => {
    const { cfg, file } = parseText('defaults\n{\n\ta = 1\n}\ndefaults\n{\n\tb = 2\n}\nservice s\n{\n}\n');
    assert.deepEqual(diags(cfg, file), ['error 5 only 1 defaults entry is allowed. This entry will be ignored']);
    assert.deepEqual(shape(cfg), ['defaults @1: a = 1@3', 'service s@9: ']);
  });

  it('allows one defaults entry per included file', () => {
    const dir = tempDir();
    write(dir, 'inc', 'defaults\n{\n\tb = 2\n}\n');
    const file = write(dir, 'main', 'defaults\n{\n\ta = 1\n}\ninclude inc\n');
    const cfg = parseClassicConfig(file);
    assert.deepEqual(diags(cfg).filter((d) => !d.startsWith('debug')), []);
    assert.deepEqual(shape(cfg), ['defaults @1: a = 1@3', 'defaults @1: b = 2@3']);
  });
});

describe('classic parser: attribute syntax errors', () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['port=23', 'Attribute port needs a space before operator'],
    ['port+=23', 'Attribute port needs a space before operator'],
    ['port + 23', 'Bad operator for attribute: port'],
    ['port -x', 'Bad operator for attribute: port'],
    ['port 23', 'Bad operator for attribute: port'],
    ['port', 'Nothing after attribute: port'],
  ];
  for (const [line, message] of cases) {
    it(`marks a service broken for \`${line}\``, () => {
      const { cfg, file } = parseText(`service a\n{\n\twait = no\n\t${line}\n\tgarbage\n}\nservice b\n{\n}\n`);
      assert.deepEqual(cfg.diagnostics, []);
      assert.deepEqual(shape(cfg), ['service a@1 BROKEN: wait = no@3', 'service b@7: ']);
      assert.deepEqual(cfg.sections[0]?.broken, { level: 'error', message, at: { file, line: 4 }, service: 'a' });
    });
  }

  it('keeps entries read before the error (an earlier disable = yes silences it later)', () => {
    const { cfg } = parseText('service a\n{\n\tdisable = yes\n\tport=23\n}\n');
    assert.deepEqual(shape(cfg), ['service a@1 BROKEN: disable = yes@3']);
  });

  it('reports EOF while skipping a broken service after its error, at the last line', () => {
    const { cfg, file } = parseText('service a\n{\n\tport=1\n\twait = no\n');
    // Both come from the resolver, in xinetd's order: the error, then the warning.
    assert.deepEqual(diags(cfg, file), []);
    assert.equal(cfg.sections[0]?.broken?.message, 'Attribute port needs a space before operator');
    assert.deepEqual(cfg.sections[0]?.unclosed, { level: 'warning', message: 'missing } in last service entry', at: { file, line: 4 }, service: 'a' });
  });

  it('keeps defaults attributes before a bad line and accepts a later defaults', () => {
    const { cfg, file } = parseText('defaults\n{\n\ta = 1\n\tb=2\n\tc = 3\n}\ndefaults\n{\n\td = 4\n}\n');
    assert.deepEqual(diags(cfg, file), [
      'error 4 Attribute b needs a space before operator',
      'error 4 missing service keyword',
    ]);
    assert.deepEqual(shape(cfg), ['defaults @1: a = 1@3', 'defaults @7: d = 4@9']);
  });
});

describe('classic parser: include and includedir', () => {
  it('resolves a relative include against the including file and expands it in place', () => {
    const dir = tempDir();
    const inc = write(dir, 'sub/one', 'service one\n{\n}\ninclude two\n');
    const two = write(dir, 'sub/two', 'service two\n{\n}\n');
    const file = write(dir, 'main', 'service zero\n{\n}\ninclude sub/one\nservice three\n{\n}\n');
    const cfg = parseClassicConfig(file);
    assert.deepEqual(shape(cfg), ['service zero@1: ', 'service one@1: ', 'service two@1: ', 'service three@5: ']);
    assert.deepEqual(cfg.files, [file, inc, two]);
    assert.deepEqual(cfg.sections[1]?.at, { file: inc, line: 1 });
    assert.deepEqual(cfg.diagnostics, [
      { level: 'debug', message: `Reading included configuration file: ${inc}`, at: { file, line: 4 } },
      { level: 'debug', message: `Reading included configuration file: ${two}`, at: { file: inc, line: 4 } },
    ]);
  });

  it('reports an include it cannot open and keeps going (no `Reading` line for it, as xinetd)', () => {
    const dir = tempDir();
    const file = write(dir, 'main', 'include /nonexistent/xi-test\nservice a\n{\n}\n');
    const cfg = parseClassicConfig(file);
    assert.deepEqual(diags(cfg, file), [
      'error 1 Unable to open included configuration file: /nonexistent/xi-test',
    ]);
    assert.deepEqual(shape(cfg), ['service a@2: ']);
  });

  it('detects include loops', () => {
    const dir = tempDir();
    const a = write(dir, 'a', 'include b\nservice a\n{\n}\n');
    const b = write(dir, 'b', 'include a\nservice b\n{\n}\n');
    const cfg = parseClassicConfig(a);
    assert.deepEqual(diags(cfg).filter((d) => d.startsWith('error')), [
      `error 1 Include loop: ${a} is already being read; skipped`,
    ]);
    assert.equal(cfg.diagnostics.find((d) => d.level === 'error')?.at?.file, b);
    assert.deepEqual(shape(cfg), ['service b@2: ', 'service a@2: ']);
  });

  it('bounds include depth', () => {
    const dir = tempDir();
    for (let i = 0; i < 40; i++) write(dir, `f${i}`, `include f${i + 1}\n`);
    const cfg = parseClassicConfig(path.join(dir, 'f0'));
    const errors = cfg.diagnostics.filter((d) => d.level === 'error');
    assert.equal(errors.length, 1);
    assert.match(errors[0]?.message ?? '', /nested deeper than 32/);
    assert.deepEqual(errors[0]?.at, { file: path.join(dir, 'f31'), line: 1 });
  });

  it('includedir reads eligible files in byte order and skips the rest', () => {
    const dir = tempDir();
    const d = path.join(dir, 'conf.d');
    for (const name of ['b', 'B', 'a-udp', 'a', '_x', 'Z9', 'echo.conf', '.hidden', 'bar~', 'foo.rpmsave', 'é', '\u{1F600}', '\uFF5E']) {
      write(d, name, `service ${name}\n{\n}\n`);
    }
    mkdirSync(path.join(d, 'subdir'));
    symlinkSync(path.join(d, 'a'), path.join(d, 'link'));
    symlinkSync(path.join(dir, 'missing'), path.join(d, 'dangling'));
    const file = write(dir, 'main', 'includedir conf.d\n');
    const cfg = parseClassicConfig(file);
    assert.deepEqual(
      cfg.sections.map((s) => s.name),
      ['B', 'Z9', '_x', 'a', 'a-udp', 'b', 'a', 'é', '\uFF5E', '\u{1F600}'],
    );
    assert.deepEqual(diags(cfg).filter((x) => !x.startsWith('debug')), [
      // xinetd 2.3.15's words, both at ERROR; the second without a location, as xinetd logs it.
      `error 1 Unable to stat includedir file ${path.join(d, 'dangling')}`,
      `error ? ${path.join(d, 'subdir')} is not a regular file. It is being skipped.`,
    ]);
    assert.equal(cfg.diagnostics.find((x) => x.message.startsWith('Unable to stat'))?.at?.file, file);
    assert.equal(cfg.files.length, 11);
  });

  it('the sliced parse of a reload gives the same result, and the event loop runs between entries and files', async () => {
    const dir = tempDir();
    for (let i = 0; i < 30; i++) write(dir, `conf.d/s${String(i).padStart(2, '0')}`, `service s${i}\n{\n\tport = ${7000 + i}\n}\n`);
    write(dir, 'conf.d/nested', 'include ../extra\nservice n\n{\n\tbad line\n}\n');
    write(dir, 'extra', 'include main\nservice extra\n{\n}\n');
    const file = write(dir, 'main', 'defaults\n{\n\tinstances = 5\n}\nincludedir conf.d\nincludedir missing\nservice last\n{\n}\n');
    const whole = parseClassicConfig(file);
    let breaths = 0;
    const { result: sliced, turns } = await turnsDuring(() => parseClassicConfigSliced(file, () => {
      breaths++;
      return yieldEveryStep();
    }));
    assert.deepEqual(sliced, whole);
    assert.equal(whole.sections.length, 34);
    assert.ok(diags(whole).some((d) => d.includes('Include loop')));
    // A step after every entry and every file of the directory.
    assert.ok(breaths >= 34, `${breaths} breaths`);
    assert.ok(turns >= 30, `the event loop turned ${turns} times during the parse`);
  });

  it('reports an unreadable includedir', () => {
    const dir = tempDir();
    const file = write(dir, 'main', 'includedir nope\nincludedir\n');
    const cfg = parseClassicConfig(file);
    assert.deepEqual(diags(cfg, file), [`error 1 Unable to read included directory: ${path.join(dir, 'nope')}`, 'error 2 includedir: missing path']);
  });
});

describe('classic parser: main file', () => {
  it('throws XI_ERR_CONFIG_UNREADABLE when the main file cannot be read', () => {
    assert.throws(() => parseClassicConfig('/nonexistent/xinetd.conf'), (err: unknown) => {
      return err instanceof Error && (err as Error & { code?: string }).code === 'XI_ERR_CONFIG_UNREADABLE';
    });
  });

  it('parses the Debian default files with no diagnostics above debug', () => {
    const file = path.join(fixtures, 'debian/xinetd.conf');
    const cfg = parseClassicConfig(file);
    assert.deepEqual(cfg.diagnostics.filter((d) => d.level !== 'debug'), []);
    const ids = cfg.sections.map((s) => {
      const id = s.entries.find((e) => e.attr === 'id')?.values[0];
      return `${s.kind}:${s.name}${id ? `/${id}` : ''}`;
    });
    assert.deepEqual(ids, [
      'defaults:',
      'service:chargen/chargen-stream',
      'service:chargen/chargen-dgram',
      'service:chargen/chargen-dgram',
      'service:daytime/daytime-stream',
      'service:daytime/daytime-dgram',
      'service:daytime/daytime-dgram',
      'service:discard/discard-stream',
      'service:discard/discard-dgram',
      'service:discard/discard-dgram',
      'service:echo/echo-stream',
      'service:echo/echo-dgram',
      'service:echo/echo-dgram',
      'service:servers',
      'service:services',
      'service:time/time-stream',
      'service:time/time-dgram',
      'service:time/time-dgram',
    ]);
    assert.equal(cfg.files.length, 13);
    assert.deepEqual(cfg.sections[0]?.entries, []);
    for (const section of cfg.sections.slice(1)) {
      assert.ok(section.entries.some((e) => e.attr === 'disable' && e.values.join() === 'yes'), section.name);
    }
  });
});
