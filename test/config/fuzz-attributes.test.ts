/**
 * Fuzz of every attribute value parser (ports, rlimits, log_type, cps, per_source, access_times,
 * only_from, env, banners, redirect targets...): hostile tokens are rejected with an
 * AttributeError, never anything else, and quickly. Then the same values in well-formed entries,
 * through the resolver and every plugin's checkService: no throw, every error located.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AttributeError, type AttributeSpec } from '../../core/config/attributes.js';
import { parseClassicConfig } from '../../core/config/xinetd-conf.js';
import { textFromBytes } from '../../core/raw-text.js';
import { fuzz, longToken, mutate, summary, type Rng } from '../helpers/fuzz.js';
import { assertProblemsLocated, classicCorpus, classicDictionary, fuzzDaemon, lineCounts, offlineLookups, resolveWith } from '../helpers/fuzz-config.js';

offlineLookups();
const daemon = fuzzDaemon();
const dictionary = classicDictionary(daemon);
const specs = daemon.attributes.attributes();
const at = { file: '/fuzz/xinetd.conf', line: 7 };
const PER_ATTRIBUTE = 300;

/** One value token: a dictionary word, a mutated one, random bytes, or a very long one. */
function valueToken(rng: Rng): string {
  switch (rng.int(6)) {
    case 0:
    case 1:
      return rng.pick(dictionary);
    case 2:
      return textFromBytes(mutate(rng, rng.pick(dictionary), { dictionary, maxMutations: 3, maxLong: 4096 }));
    case 3:
      return textFromBytes(Buffer.from(Array.from({ length: rng.int(24) }, () => rng.int(256))));
    case 4:
      return `${rng.pick(['', '-', '+', '0x', '0', ' '])}${Array.from({ length: 1 + rng.int(30) }, () => rng.int(10)).join('')}${rng.pick(['', 'K', 'M', 'k', '.5', 'e3', '/64', ':00', 'x'])}`;
    default:
      return longToken(rng, dictionary, 16 * 1024);
  }
}

/** Values written for each attribute in the corpora: what the mutations start from. */
const examples = new Map<string, string[][]>();
for (const text of classicCorpus()) {
  const file = join(realpathSync(mkdtempSync(join(tmpdir(), 'xinetd-ts-fuzz-corpus-'))), 'xinetd.conf');
  writeFileSync(file, text);
  for (const section of parseClassicConfig(file).sections) {
    for (const e of section.entries) examples.set(e.attr.toLowerCase(), [...(examples.get(e.attr.toLowerCase()) ?? []), [...e.values]]);
  }
}

/** A written value with one token replaced, added, removed or mutated. */
function mutateExample(rng: Rng, example: readonly string[]): string[] {
  const values = [...example];
  const i = rng.int(values.length + 1);
  switch (rng.int(4)) {
    case 0:
      values.splice(i, 1, valueToken(rng));
      break;
    case 1:
      values.splice(i, 0, valueToken(rng));
      break;
    case 2:
      values.splice(i, 1);
      break;
    default:
      if (values[i] !== undefined) values[i] = textFromBytes(mutate(rng, values[i]!, { dictionary, maxMutations: 2, maxLong: 4096 }));
  }
  return values;
}

/** Tokens in the number the resolver lets through to the parser for this arity. */
function valuesFor(rng: Rng, spec: AttributeSpec<unknown>): string[] {
  const { arity } = spec;
  const known = examples.get(spec.name);
  const values = known && rng.chance(0.6) ? mutateExample(rng, rng.pick(known)) : Array.from({ length: 1 + rng.int(6) }, () => valueToken(rng));
  if (typeof arity === 'number') return Array.from({ length: arity }, (_, i) => values[i] ?? valueToken(rng));
  return arity === 'many' && values.length === 0 ? [valueToken(rng)] : values;
}

/** Names of Object.prototype: to a parser they must be words like any other. */
const PROTOTYPE_WORDS = /^(__proto__|constructor|prototype|toString|valueOf|hasOwnProperty|isPrototypeOf)$/i;

/** A word of the same shape that names nothing: `__proto__` => `__qqqqq__`. */
const unknownLike = (word: string) => word.replace(/[a-z]/g, 'q').replace(/[A-Z]/g, 'Q');

/** Whether `parse` accepts the values (an AttributeError is a refusal; anything else fails the test). */
function accepts(spec: AttributeSpec<unknown>, values: readonly string[]): boolean {
  const ctx = { service: 'fuzz', at, tokenAt: values.map(() => at), warn: (m: string) => assert.equal(typeof m, 'string') };
  try {
    spec.parse(values, ctx);
    return true;
  } catch (error) {
    assert.ok(error instanceof AttributeError, `${spec.name} threw ${error instanceof Error ? error.stack : String(error)}`);
    return false;
  }
}

test('every attribute parser: hostile values are an AttributeError or a value', async (t) => {
  let cases = 0;
  let ms = 0;
  for (const spec of specs) {
    const run = await fuzz(`attribute-${spec.name}`, { seed: 2201, count: PER_ATTRIBUTE, caseMs: 200 }, (rng) => valuesFor(rng, spec), (values) => {
      const accepted = accepts(spec, values);
      // A prototype name is decided like an unknown word (`log_type = SYSLOG constructor`).
      if (values.some((v) => PROTOTYPE_WORDS.test(v))) {
        assert.equal(accepted, accepts(spec, values.map((v) => (PROTOTYPE_WORDS.test(v) ? unknownLike(v) : v))), `${spec.name}: a prototype name is decided unlike an unknown word`);
      }
    });
    cases += run.cases;
    ms += run.ms;
  }
  t.diagnostic(`${specs.length} attributes, ${cases} cases in ${ms.toFixed(0)} ms`);
});

test('a prototype name in any position of any written value is decided like an unknown word', () => {
  let checked = 0;
  for (const spec of specs) {
    for (const example of examples.get(spec.name) ?? []) {
      for (let i = 0; i < example.length; i++) {
        for (const word of ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty']) {
          const values = example.map((v, j) => (j === i ? word : v));
          const plain = example.map((v, j) => (j === i ? unknownLike(word) : v));
          assert.equal(accepts(spec, values), accepts(spec, plain), `${spec.name} = ${values.join(' ')}: decided unlike ${spec.name} = ${plain.join(' ')}`);
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 500, `${checked} substitutions`);
});

/** Services of each kind the plugins claim, to which fuzzed lines are added. */
const BASES = [
  ['type = INTERNAL UNLISTED', 'id = echo-stream', 'socket_type = stream', 'wait = no', 'port = 18460'],
  ['type = UNLISTED', 'socket_type = stream', 'protocol = tcp', 'wait = no', 'port = 18461', 'user = root', 'server = /bin/true'],
  ['type = UNLISTED', 'socket_type = stream', 'wait = no', 'port = 18462', 'redirect = 127.0.0.1 18463'],
  ['type = RPC UNLISTED', 'rpc_number = 100099', 'rpc_version = 1', 'socket_type = dgram', 'protocol = udp', 'wait = yes', 'user = root', 'server = /bin/true'],
  ['type = UNLISTED', 'flags = SENSOR', 'socket_type = stream', 'wait = no', 'port = 18464'],
  ['type = INTERNAL UNLISTED', 'id = daytime-dgram', 'socket_type = dgram', 'wait = yes', 'port = 18465'],
];

/** A classic token: no blank (the tokenizer splits on blanks) and no line end. */
const classicToken = (t: string) => t.replace(/[ \t\n]/g, '_');

function fuzzedLine(rng: Rng): string {
  const spec = rng.pick(specs);
  const op = spec.arity === 'list' ? rng.pick(['=', '+=', '-=']) : rng.chance(0.9) ? '=' : rng.pick(['+=', '-=']);
  return `\t${spec.name} ${op} ${valuesFor(rng, spec).map(classicToken).join(' ')}`;
}

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'xinetd-ts-fuzz-attributes-')));

test('fuzzed values in well-formed entries: the resolver and every checkService never throw', async (t) => {
  const file = join(dir, 'xinetd.conf');
  const run = await fuzz('attribute-entries', { seed: 2202, count: 1500, caseMs: 1000 }, (rng) => {
    const defaults = Array.from({ length: rng.int(4) }, () => fuzzedLine(rng));
    const services = Array.from({ length: 1 + rng.int(3) }, (_, i) => {
      const lines = [...rng.pick(BASES).map((l) => `\t${l}`), ...Array.from({ length: 1 + rng.int(5) }, () => fuzzedLine(rng))];
      return `service s${i}\n{\n${lines.join('\n')}\n}\n`;
    });
    return `defaults\n{\n${defaults.join('\n')}\n}\n\n${services.join('\n')}`;
  }, async (text) => {
    writeFileSync(file, text);
    const raw = parseClassicConfig(file);
    const counts = lineCounts(raw.files);
    const resolved = await resolveWith(daemon, raw);
    assertProblemsLocated(resolved.diagnostics, counts);
    for (const d of resolved.diagnostics) assert.doesNotMatch(d.message, /its parser threw/, `a built-in parser threw something other than an AttributeError: ${d.message}`);
  });
  t.diagnostic(summary(run));
});
