import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { loadStructuredConfig } from '../../core/config/cosmiconfig.js';
import { loadConfiguration } from '../../core/config/load.js';
import { XinetdError } from '../../core/errors.js';
import { turnsDuring, yieldEveryStep } from '../helpers/event-loop.js';
import { runCli } from '../helpers/cli.js';
import { parseClassicConfig } from '../../core/config/xinetd-conf.js';
import type { RawConfig } from '../../core/config/raw.js';

const rcFixtures = path.resolve(fileURLToPath(import.meta.url), '../../../../test/fixtures/rc');

function tempDir(): string {
  return realpathSync(mkdtempSync(path.join(os.tmpdir(), 'xi-rc-')));
}

function write(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** Sections without locations, for comparing sources. */
function shape(cfg: RawConfig | undefined): string[] {
  assert.ok(cfg, 'a configuration was expected');
  return cfg.sections.map((s) => {
    const entries = s.entries.map((e) => `${e.attr} ${e.op} ${JSON.stringify(e.values)}`);
    return `${s.kind} ${s.name}: ${entries.join(' | ')}`;
  });
}

function errors(cfg: RawConfig | undefined): string[] {
  return (cfg?.diagnostics ?? []).filter((d) => d.level !== 'debug').map((d) => `${d.level} ${d.at?.line} ${d.message}`);
}

const EXTRA = 'service extra\n{\n\ttype = UNLISTED\n\tport = 9000\n}\n';

const CLASSIC = [
  'defaults',
  '{',
  '\tlog_type = SYSLOG daemon info',
  '\tonly_from += 127.0.0.1 ::1',
  '\tno_access -= 10.0.0.1',
  '}',
  'include extra',
  'service echo',
  '{',
  '\ttype = INTERNAL',
  '\tsocket_type = stream',
  '\twait = no',
  '\tport = 7',
  '}',
  'service daytime',
  '{',
  '\tdisable = yes',
  '}',
].join('\n');

const JSON_CONFIG = {
  defaults: { log_type: 'SYSLOG daemon info', 'only_from+': ['127.0.0.1', '::1'], 'no_access-': '10.0.0.1' },
  include: ['extra'],
  services: {
    echo: { type: 'INTERNAL', socket_type: 'stream', wait: false, port: 7 },
    daytime: { disable: true },
  },
  plugins: ['xinetd-ts-plugin-x', ['./local.js', { level: 2 }]],
};

const YAML_CONFIG = `# structured test config
defaults:
  log_type: SYSLOG daemon info
  only_from+:
    - 127.0.0.1
    - "::1"
  no_access-: 10.0.0.1
include: extra
services:
  - name: echo
    type: INTERNAL
    socket_type: stream
    wait: no
    port: 7
  - name: daytime
    disable: yes
plugins:
  - xinetd-ts-plugin-x
`;

function classicShape(dir: string): string[] {
  return shape(parseClassicConfig(write(dir, 'xinetd.conf', CLASSIC)));
}

describe('loadStructuredConfig: equivalence with classic syntax', () => {
  it('a searched .xinetd-tsrc.json yields the classic sections, plugins and locations', async () => {
    const dir = tempDir();
    const extra = write(dir, 'extra', EXTRA);
    const file = write(dir, '.xinetd-tsrc.json', JSON.stringify(JSON_CONFIG, null, 2));
    const cfg = await loadStructuredConfig({ searchFrom: dir });
    assert.deepEqual(shape(cfg), classicShape(dir));
    assert.deepEqual(errors(cfg), []);
    assert.equal(cfg?.source, file);
    assert.deepEqual(cfg?.files, [file, extra]);
    assert.deepEqual(cfg?.plugins, [
      { specifier: 'xinetd-ts-plugin-x', from: { file, line: 24 } },
      { specifier: './local.js', options: { level: 2 }, from: { file, line: 24 } },
    ]);
    assert.deepEqual(cfg?.sections[0]?.at, { file, line: 2 });
    assert.deepEqual(cfg?.sections[0]?.entries[1]?.at, { file, line: 4 });
    assert.deepEqual(cfg?.sections[1]?.at, { file: extra, line: 1 });
    assert.deepEqual(cfg?.sections[2]?.at, { file, line: 14 });
  });

  it('a YAML file with a service list yields the same sections, with real lines', async () => {
    const dir = tempDir();
    write(dir, 'extra', EXTRA);
    const file = write(dir, '.xinetd-tsrc.yml', YAML_CONFIG);
    const cfg = await loadStructuredConfig({ searchFrom: dir });
    assert.deepEqual(shape(cfg), classicShape(dir));
    assert.deepEqual(errors(cfg), []);
    assert.deepEqual(cfg?.sections[0]?.at, { file, line: 2 });
    assert.deepEqual(cfg?.sections[0]?.entries[2]?.at, { file, line: 7 });
    assert.deepEqual(cfg?.sections[2]?.entries[0]?.at, { file, line: 11 });
  });

  it('an ES module config yields the same sections', async () => {
    const dir = tempDir();
    write(dir, 'extra', EXTRA);
    const file = write(dir, 'xinetd-ts.config.mjs', `export default ${JSON.stringify(JSON_CONFIG)};\n`);
    const cfg = await loadStructuredConfig({ searchFrom: dir });
    assert.deepEqual(shape(cfg), classicShape(dir));
    assert.equal(cfg?.source, file);
    assert.deepEqual(cfg?.sections[0]?.at, { file, line: 1 });
  });

  it('a CommonJS config and a package.json key yield the same sections', async () => {
    const dir = tempDir();
    write(dir, 'extra', EXTRA);
    write(dir, '.xinetd-tsrc.cjs', `module.exports = ${JSON.stringify(JSON_CONFIG)};\n`);
    assert.deepEqual(shape(await loadStructuredConfig({ searchFrom: dir })), classicShape(dir));
    const pkgDir = tempDir();
    write(pkgDir, 'extra', EXTRA);
    write(pkgDir, 'package.json', JSON.stringify({ name: 'x', 'xinetd-ts': JSON_CONFIG }, null, 2));
    const cfg = await loadStructuredConfig({ searchFrom: pkgDir });
    assert.deepEqual(shape(cfg), classicShape(pkgDir));
    assert.equal(cfg?.sections[0]?.at.line, 4);
  });

  it('loads the checked-in fixtures', async () => {
    const json = await loadStructuredConfig({ file: path.join(rcFixtures, 'xinetd-ts.json') });
    const yaml = await loadStructuredConfig({ file: path.join(rcFixtures, 'xinetd-ts.yaml') });
    assert.deepEqual(errors(json), []);
    assert.deepEqual(shape(yaml), shape(json));
    assert.deepEqual(json?.files.slice(1), [path.join(rcFixtures, 'classic.d/daytime')]);
  });
});

describe('loadStructuredConfig: values', () => {
  it('splits strings, keeps array elements whole, stringifies scalars', async () => {
    const dir = tempDir();
    const file = write(
      dir,
      'c.json',
      JSON.stringify({
        services: [{ name: 'a', server_args: ['hello world', 3, true], env: '  A=1   B=2 ', cps: [50, 10], only_from: '' }],
      }),
    );
    const cfg = await loadStructuredConfig({ file });
    assert.deepEqual(shape(cfg), [
      'service a: server_args = ["hello world","3","yes"] | env = ["A=1","B=2"] | cps = ["50","10"] | only_from = []',
    ]);
  });

  it('reports unknown top-level keys and wrong types with the file and JSON path', async () => {
    const dir = tempDir();
    const file = write(
      dir,
      'bad.yaml',
      [
        'defaults:',
        '  instances: 5',
        '  only_from: { a: 1 }',
        'servics: {}',
        'services:',
        '  echo:',
        '    port: [1, [2]]',
        '    wait: null',
        '  other: 3',
        'plugins:',
        '  - [1, 2]',
        'include: [3]',
      ].join('\n'),
    );
    const cfg = await loadStructuredConfig({ file });
    assert.deepEqual(errors(cfg), [
      `warning 4 ${file}: unknown top-level key "servics" ignored`,
      `error 3 ${file}: $.defaults.only_from: expected a string, number, boolean or an array of those`,
      `error 12 ${file}: $.include[0]: expected a path string`,
      `error 7 ${file}: $.services.echo.port: expected a string, number, boolean or an array of those`,
      `error 8 ${file}: $.services.echo.wait: expected a string, number, boolean or an array of those`,
      `error 9 ${file}: $.services.other: expected an object of attributes`,
      `error 10 ${file}: $.plugins[0]: expected a module specifier or [specifier, options]`,
    ]);
    assert.deepEqual(shape(cfg), ['defaults : instances = ["5"]', 'service echo: ']);
    for (const d of cfg?.diagnostics ?? []) assert.equal(d.at?.file, file);
  });

  it('throws XI_ERR_CONFIG_UNREADABLE for a file it cannot parse or find', async () => {
    const dir = tempDir();
    const file = write(dir, 'broken.json', '{ "services": ');
    const isUnreadable = (err: unknown) => (err as { code?: string }).code === 'XI_ERR_CONFIG_UNREADABLE';
    await assert.rejects(loadStructuredConfig({ file }), isUnreadable);
    await assert.rejects(loadStructuredConfig({ file: path.join(dir, 'missing.json') }), isUnreadable);
    await assert.rejects(loadStructuredConfig({ file: path.join(dir, 'missing.conf') }), isUnreadable);
  });

  it('a named file that holds nothing is an empty configuration, never /etc/xinetd.conf (fuzz: YAML of comments read the system file)', async () => {
    const dir = tempDir();
    const files = [
      write(dir, 'comments.yaml', '# nothing here yet\n'),
      write(dir, 'tilde.yml', '~\n'),
      write(dir, 'null.json', 'null\n'),
      write(dir, 'pkg/package.json', '{ "name": "x" }\n'),
    ];
    for (const file of files) {
      const cfg = await loadStructuredConfig({ file });
      assert.equal(cfg?.source, file);
      assert.deepEqual(cfg?.sections, []);
      assert.deepEqual(errors(cfg), [`warning 1 ${file}: the configuration is empty`]);
      const loaded = await loadConfiguration({ file });
      assert.deepEqual(loaded.files, [file], 'nothing else is read');
    }
  });

  it('sets a $import key aside with a warning: cosmiconfig would merge in files read without the regular-file check (fuzz: a FIFO there hung the load)', async () => {
    const dir = tempDir();
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    write(dir, 'base.yaml', 'services:\n  imported: {type: INTERNAL}\n');
    const file = write(dir, 'xinetd-ts.yaml', '$import: [./fifo, ./base.yaml]\nservices:\n  echo: {type: INTERNAL}\n');
    const cfg = await loadStructuredConfig({ file });
    assert.deepEqual(shape(cfg), ['service echo: type = ["INTERNAL"]']);
    assert.deepEqual(errors(cfg), [`warning 1 ${file}: "$import" is not followed (name classic files in "include" or "includedir"); ignored`]);
    const pkg = write(dir, 'p/package.json', JSON.stringify({ name: 'p', 'xinetd-ts': { $import: '../fifo', services: { a: { type: 'INTERNAL' } } } }));
    assert.deepEqual(shape(await loadStructuredConfig({ file: pkg })), ['service a: type = ["INTERNAL"]']);
  });

  it('resolves undefined when a search finds nothing', async () => {
    assert.equal(await loadStructuredConfig({ searchFrom: tempDir() }), undefined);
  });
});

describe('loadStructuredConfig: large files', () => {
  it('locates the entries of 3,000 services in time proportional to the file (each entry scanned the file: seconds)', async () => {
    const services = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`svc${i}`, { type: 'UNLISTED', port: 20000 + i, socket_type: 'stream', wait: 'no' }]));
    const file = write(tempDir(), 'big.json', JSON.stringify({ services }, null, 2));
    const started = performance.now();
    const cfg = await loadStructuredConfig({ file });
    const ms = performance.now() - started;
    assert.equal(cfg?.sections.length, 3000);
    // "services" is line 2; each service takes 6 lines from line 3 on; its attributes follow it.
    assert.deepEqual(cfg?.sections[2999]?.at, { file, line: 3 + 2999 * 6 });
    assert.deepEqual(cfg?.sections[2999]?.entries.map((e) => e.at.line), [4, 5, 6, 7].map((n) => n + 2999 * 6));
    assert.deepEqual(cfg?.sections[30]?.entries.map((e) => e.at.line), [4, 5, 6, 7].map((n) => n + 30 * 6));
    assert.ok(ms < 2000, `${ms.toFixed(0)} ms`);
  });

  it('refuses YAML whose aliases expand to more entries than the file has bytes (a 47 KB file became 4 million entries: minutes, 500 MB)', async () => {
    const dir = tempDir();
    const attrs = Array.from({ length: 2000 }, (_, i) => `    a${i}: x`).join('\n');
    const refs = Array.from({ length: 2000 }, (_, i) => `  s${i}: *t`).join('\n');
    const bomb = write(dir, 'bomb.yaml', `template: &t\n${attrs}\nservices:\n${refs}\n`);
    const started = performance.now();
    await assert.rejects(loadStructuredConfig({ file: bomb }), (e: unknown) =>
      e instanceof XinetdError && e.code === 'XI_ERR_CONFIG_UNREADABLE' && e.message.includes(bomb) && /at line 20\d\d it expands to more than 65536 attribute entries/.test(e.message));
    assert.ok(performance.now() - started < 2000);
    // A template merged into many services is what anchors are for: it loads.
    const services = Array.from({ length: 200 }, (_, i) => `  s${i}: {<<: *t, port: ${20000 + i}}`).join('\n');
    const template = write(dir, 'template.yaml', `template: &t {type: UNLISTED, socket_type: stream, wait: no, user: root, server: /bin/true}\nservices:\n${services}\n`);
    const cfg = await loadStructuredConfig({ file: template });
    assert.equal(cfg?.sections.length, 200);
    assert.equal(cfg?.sections[199]?.entries.length, 6);
  });
});

describe('loadStructuredConfig: sliced for a reload', () => {
  it('an includedir of classic files gives the same result, and the event loop runs between the files', async () => {
    const dir = tempDir();
    for (let i = 0; i < 20; i++) write(dir, `conf.d/s${String(i).padStart(2, '0')}`, `service s${i}\n{\n\tport = ${7000 + i}\n}\n`);
    const file = write(dir, 'xinetd-ts.json', JSON.stringify({ defaults: { instances: 5 }, includedir: 'conf.d', services: [{ name: 'last', port: 9 }] }));
    const whole = await loadStructuredConfig({ file });
    const { result: sliced, turns } = await turnsDuring(() => loadStructuredConfig({ file, breathe: yieldEveryStep }));
    assert.deepEqual(sliced, whole);
    assert.equal(whole?.sections.length, 22);
    assert.ok(turns >= 20, `the event loop turned ${turns} times`);
  });
});

describe('loadStructuredConfig: file selection and reloads', () => {
  it('delegates .conf and extension-less files to the classic parser', async () => {
    const dir = tempDir();
    write(dir, 'extra', EXTRA);
    const conf = write(dir, 'main.conf', CLASSIC);
    const bare = write(dir, 'xinetd', CLASSIC);
    assert.deepEqual(shape(await loadStructuredConfig({ file: conf })), classicShape(dir));
    assert.deepEqual(shape(await loadStructuredConfig({ file: bare })), classicShape(dir));
    const rc = write(dir, '.xinetd-tsrc', YAML_CONFIG);
    const cfg = await loadStructuredConfig({ file: rc });
    assert.deepEqual(shape(cfg), classicShape(dir));
  });

  for (const name of ['xinetd-ts.config.mjs', '.xinetd-tsrc.cjs', 'xinetd-ts.config.js', '.xinetd-tsrc.json']) {
    it(`sees edits between two loads of ${name}`, async () => {
      const dir = tempDir();
      const body = (port: number) => {
        const config = JSON.stringify({ services: { s: { port } } });
        if (name.endsWith('.json')) return config;
        return name.endsWith('.cjs') || name.endsWith('.js') ? `module.exports = ${config};` : `export default ${config};`;
      };
      const file = write(dir, name, body(1));
      const first = await loadStructuredConfig({ file });
      write(dir, name, body(2));
      const second = await loadStructuredConfig({ file });
      write(dir, name, body(3));
      const third = await loadStructuredConfig({ searchFrom: dir });
      assert.deepEqual([first, second, third].map((c) => c?.sections[0]?.entries[0]?.values[0]), ['1', '2', '3']);
    });
  }
});

describe('a JavaScript configuration that fails while being loaded', () => {
  it('names the file and line of a throw, a syntax error or a throwing helper it imports, from `check` and from the daemon', async () => {
    const dir = tempDir();
    const cases = [
      [write(dir, 'throws.config.mjs', `const ports = undefined;\nexport default {\n  services: { echo: { port: ports.echo } },\n};\n`),
        /TypeError: Cannot read properties of undefined \(reading 'echo'\) at (\S+throws\.config\.mjs):3:\d+$/],
      [write(dir, 'syntax.config.mjs', `export default {\n  services: {\n    echo: { port: 7 }\n    daytime: { port: 13 },\n  },\n};\n`),
        /SyntaxError: .* at (\S+syntax\.config\.mjs):4$/],
      [write(dir, 'common.config.cjs', `const base = 7000;\n\nthrow new Error('no ports left above ' + base);\n`),
        /Error: no ports left above 7000 at (\S+common\.config\.cjs):3:\d+$/],
      [write(dir, 'imports.config.mjs', `import { ports } from './ports.mjs';\nexport default { services: { echo: { port: ports() } } };\n`),
        /Error: PORTS is not set at (\S+ports\.mjs):1:\d+$/],
    ] as const;
    write(dir, 'ports.mjs', `export const ports = () => { throw new Error('PORTS is not set'); };\n`);
    const located = ['throws.config.mjs', 'syntax.config.mjs', 'common.config.cjs', 'ports.mjs'];
    for (const [[file, pattern], where] of cases.map((c, i) => [c, located[i]!] as const)) {
      for (const args of [['check', '-f', file], ['-dontfork', '-stayalive', '-f', file]]) {
        const r = await runCli(args);
        assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
        // `check` prints the error alone; the daemon as one of its messages (time, pid, level first).
        const line = r.stderr.trim().split('\n').find((l) => l.includes(`XI_ERR_CONFIG_UNREADABLE: Cannot load ${file}: `));
        assert.ok(line, `${args.join(' ')}: ${r.stderr}`);
        assert.equal(pattern.exec(line!)?.[1], path.join(dir, where), `${args.join(' ')}: ${r.stderr}`);
      }
    }
  });
});
