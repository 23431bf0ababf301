/**
 * Fuzz of the structured configuration (JSON and YAML through cosmiconfig): hostile values
 * (wrong types, huge numbers, nested junk, `__proto__` and `constructor` keys) and mutated
 * files. Loading either gives a RawConfig whose diagnostics name a line of the file, or the
 * documented XI_ERR_CONFIG_UNREADABLE; nothing else is thrown, Object.prototype is never
 * touched, the sliced load a reload uses agrees with the synchronous one, and the result resolves.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadStructuredConfig } from '../../core/config/cosmiconfig.js';
import type { RawConfig } from '../../core/config/raw.js';
import { XinetdError } from '../../core/errors.js';
import { textFromBytes } from '../../core/raw-text.js';
import { ROOT } from '../helpers/daemon.js';
import { fuzz, mutate, summary, type Rng } from '../helpers/fuzz.js';
import { assertDiagnosticLocated, assertLocated, assertProblemsLocated, classicDictionary, fuzzDaemon, lineCounts, offlineLookups, resolveWith } from '../helpers/fuzz-config.js';

offlineLookups();
const daemon = fuzzDaemon();
const dictionary = classicDictionary(daemon);
const dir = realpathSync(mkdtempSync(join(tmpdir(), 'xinetd-ts-fuzz-structured-')));
writeFileSync(join(dir, 'classic'), 'service c\n{\n\ttype = UNLISTED\n\tport = 18470\n\tsocket_type = stream\n\twait = no\n}\n');

const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__', 'valueOf'];
const TOP_KEYS = ['defaults', 'services', 'include', 'includedir', 'plugins', ...PROTOTYPE_KEYS, 'service', 'Defaults', ''];
const HOSTILE_NUMBERS = ['0', '-0', '1e308', '-1e308', '1e400', '9007199254740993', '18446744073709551616', '1e21', '0.1', '-1', '65535', '65536', '4294967296'];

/** JSON text of a random value: scalars, wrong types, deep nesting, prototype keys (as JSON.parse makes them: own keys). */
function jsonValue(rng: Rng, depth: number): string {
  const kind = rng.int(depth > 3 ? 4 : 7);
  switch (kind) {
    case 0:
      return JSON.stringify(rng.chance(0.7) ? rng.pick(dictionary) : `${rng.pick(dictionary)} ${rng.pick(dictionary)}`);
    case 1:
      return rng.pick(HOSTILE_NUMBERS);
    case 2:
      return rng.pick(['true', 'false', 'null', '""', '" "', '"\\u0000"', '"\\ud800"']);
    case 3:
      return `[${Array.from({ length: rng.int(5) }, () => (rng.chance(0.8) ? JSON.stringify(rng.pick(dictionary)) : jsonValue(rng, depth + 1))).join(', ')}]`;
    case 4:
      return jsonObject(rng, depth + 1, dictionary);
    case 5:
      return nested(rng);
    default:
      return `[${Array.from({ length: 1 + rng.int(4) }, () => jsonObject(rng, depth + 1, ['name', 'name', ...dictionary])).join(', ')}]`;
  }
}

/** Arrays or objects nested deeply (a recursive converter would overflow its stack). */
function nested(rng: Rng): string {
  const n = 1 + rng.int(3000);
  return rng.chance(0.5) ? `${'['.repeat(n)}${']'.repeat(n)}` : `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
}

function jsonObject(rng: Rng, depth: number, keys: readonly string[]): string {
  const key = () => (rng.chance(0.15) ? rng.pick(PROTOTYPE_KEYS) : `${rng.pick(keys)}${rng.pick(['', '', '', '+', '-', '++', ' '])}`);
  return `{${Array.from({ length: rng.int(6) }, () => `${JSON.stringify(key())}: ${jsonValue(rng, depth)}`).join(',\n')}}`;
}

/** A whole configuration: the top-level keys with values of the right shape or not. */
function jsonConfig(rng: Rng): string {
  const entries = Array.from({ length: 1 + rng.int(5) }, () => {
    const key = rng.pick(TOP_KEYS);
    let value: string;
    if (key === 'services' && rng.chance(0.6)) value = rng.chance(0.5) ? jsonObject(rng, 1, ['echo', 'ftp', ...PROTOTYPE_KEYS]).replace(/: ([^{[][^,\n}]*)/g, ': {"type": $1}') : jsonValue(rng, 3);
    else if (key === 'include' || key === 'includedir') value = rng.pick(['"classic"', '["classic", "missing", 7, null]', '"."', '"/dev/null"', '""', '[]', '{}']);
    else if (key === 'plugins') value = rng.pick(['[]', '["./nope.js", ["x", {"__proto__": {"polluted": 1}}], [], [1, 2, 3], null]', '"x"']);
    else value = key === 'defaults' && rng.chance(0.6) ? jsonObject(rng, 1, dictionary) : jsonValue(rng, 1);
    return `${JSON.stringify(key)}: ${value}`;
  });
  return `{\n${entries.join(',\n')}\n}\n`;
}

/** JSON text as YAML sometimes (flow style is YAML too), with YAML's own constructs. */
function yamlConfig(rng: Rng): string {
  const base = readFileSync(join(ROOT, 'test/fixtures/rc/xinetd-ts.yaml'), 'utf8');
  const pieces = [
    'defaults: &d\n  instances: 5\nservices:\n  a: *d\n  b: *d\n  c: {<<: *d, type: UNLISTED}\n',
    'services: !!map {x: 1}\n', 'defaults: !!binary aGVsbG8=\n', 'defaults: !!timestamp 2001-12-14\n', 'defaults: {? [a, b] : c}\n',
    `services:\n${'  - '.repeat(1)}name: s\n    port: 0x10\n    wait: ~\n    type: .inf\n    user: .NaN\n`,
    'include: !!set {classic}\n', '--- \n...\n---\ndefaults: {}\n', '%YAML 1.2\n---\ndefaults: {}\n', `defaults: ${nested(rng)}\n`,
    'services: &s [*s]\n', 'defaults: *undefined\n', '"__proto__": {polluted: 1}\ndefaults: {__proto__: {polluted: 1}}\n',
    aliasFanOut(rng),
  ];
  return rng.chance(0.3) ? jsonConfig(rng) : rng.chance(0.5) ? rng.pick(pieces) : `${base}\n${rng.pick(pieces)}`;
}

/** A mapping referenced by many services (or merged into them): how YAML multiplies a file. */
function aliasFanOut(rng: Rng): string {
  const attrs = Array.from({ length: 1 + rng.int(600) }, (_, i) => `  a${i}: [${'x, '.repeat(rng.int(4))}y]`).join('\n');
  const services = Array.from({ length: 1 + rng.int(600) }, (_, i) => (rng.chance(0.5) ? `  s${i}: *t` : `  s${i}: {<<: *t, port: ${i}}`)).join('\n');
  return `template: &t\n${attrs}\nservices:\n${services}\n`;
}

const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort().join(',');
function assertPrototypesClean(): void {
  assert.equal(Object.getOwnPropertyNames(Object.prototype).sort().join(','), prototypeKeys, 'Object.prototype gained a property');
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype polluted');
  assert.equal(Object.getPrototypeOf({}), Object.prototype);
}

/** Load in both ways; the documented error, or a RawConfig with every property. */
async function checkFile(file: string): Promise<void> {
  let sync: RawConfig | undefined;
  try {
    sync = await loadStructuredConfig({ file });
  } catch (error) {
    assert.ok(error instanceof XinetdError && error.code === 'XI_ERR_CONFIG_UNREADABLE', `threw ${error instanceof Error ? error.stack : String(error)}`);
    assert.ok(error.message.includes(file), `the error names the file: ${error.message}`);
    assertPrototypesClean();
    return;
  }
  assert.ok(sync, 'a named file always gives a configuration');
  const sliced = await loadStructuredConfig({ file, breathe: () => new Promise<void>((resolve) => setImmediate(resolve)) });
  assert.deepEqual(sliced, sync, 'the sliced load differs from the synchronous one');
  const counts = lineCounts(sync.files);
  // Bounded memory: no more entries and values than the file has bytes (65,536 at least).
  const values = sync.sections.reduce((n, s) => n + s.entries.reduce((m, e) => m + 1 + e.values.length, 0), 0);
  assert.ok(values <= Math.max(readFileSync(file).length, 65_536) + 16 * 1024, `${values} entries and values`);
  for (const d of sync.diagnostics) assertDiagnosticLocated(d, counts);
  for (const s of sync.sections) assertLocated(s.at, counts, `section ${s.kind} ${s.name}`);
  for (const p of sync.plugins) assertLocated(p.from, counts, `plugin ${p.specifier}`);
  const resolved = await resolveWith(daemon, sync);
  assertProblemsLocated(resolved.diagnostics, counts);
  assertPrototypesClean();
}

test('structured configuration: hostile values in JSON and YAML', async (t) => {
  const run = await fuzz('structured', { seed: 5501, count: 1200, caseMs: 1000 }, (rng) => (rng.chance(0.5) ? { ext: 'json', text: jsonConfig(rng) } : { ext: 'yaml', text: yamlConfig(rng) }), async ({ ext, text }) => {
    const file = join(dir, `xinetd-ts.${ext}`);
    writeFileSync(file, text);
    await checkFile(file);
  });
  t.diagnostic(summary(run));
});

test('structured configuration: mutated JSON and YAML files', async (t) => {
  const corpus = [readFileSync(join(ROOT, 'test/fixtures/rc/xinetd-ts.json'), 'utf8'), readFileSync(join(ROOT, 'test/fixtures/rc/xinetd-ts.yaml'), 'utf8')];
  const words = [...dictionary, ...PROTOTYPE_KEYS.map((k) => JSON.stringify(k)), '{', '}', '[', ']', ':', ',', '"', "'", '&a', '*a', '<<:', '- ', '!!js/function', '!!python/object', '? ', '|', '>', '---'];
  const run = await fuzz('structured-mutated', { seed: 5502, count: 1200, caseMs: 1000 }, (rng) => {
    const i = rng.int(corpus.length);
    return { ext: i === 0 ? 'json' : 'yaml', text: textFromBytes(mutate(rng, corpus[i]!, { dictionary: words, donors: corpus, maxLong: 4096 })) };
  }, async ({ ext, text }) => {
    const file = join(dir, `mutated.${ext}`);
    writeFileSync(file, text);
    await checkFile(file);
  });
  t.diagnostic(summary(run));
});
