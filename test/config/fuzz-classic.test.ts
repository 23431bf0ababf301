/**
 * Fuzz of the classic xinetd.conf parser and of the resolution that follows it: mutated real
 * configurations (with includes, include chains deeper than the limit, loops and directories)
 * never make either throw, every diagnostic names a file:line that exists, the sliced parse a
 * reload uses gives the same result as the synchronous one, and the output stays proportional
 * to the input.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkRows } from '../../core/check-command.js';
import type { RawConfig } from '../../core/config/raw.js';
import { parseClassicConfig, parseClassicConfigSliced } from '../../core/config/xinetd-conf.js';
import { fuzz, mutate, summary, type Rng } from '../helpers/fuzz.js';
import { assertDiagnosticLocated, assertLocated, assertProblemsLocated, classicCorpus, classicDictionary, fuzzDaemon, lineCounts, offlineLookups, resolveWith } from '../helpers/fuzz-config.js';

offlineLookups();
const daemon = fuzzDaemon();
const corpus = classicCorpus();
const dictionary = classicDictionary(daemon);

/** Shared by every case: a chain of includes deeper than MAX_INCLUDE_DEPTH, and a loop. */
const root = realpathSync(mkdtempSync(join(tmpdir(), 'xinetd-ts-fuzz-classic-')));
mkdirSync(join(root, 'chain'));
for (let i = 0; i < 40; i++) {
  writeFileSync(join(root, 'chain', `chain${i}`), `service c${i}\n{\n\ttype = UNLISTED\n\tport = ${18400 + i}\n\tsocket_type = stream\n\twait = no\n\tuser = root\n\tserver = /bin/true\n}\ninclude chain${i + 1}\n`);
}
mkdirSync(join(root, 'loop'));
writeFileSync(join(root, 'loop', 'a'), 'include b\nservice a\n{\n}\n');
writeFileSync(join(root, 'loop', 'b'), 'includedir .\n');
// A directory of what includedir skips: a sub-directory, a dangling link, a FIFO, dotted and ~ names.
mkdirSync(join(root, 'odd', 'sub'), { recursive: true });
symlinkSync(join(root, 'odd', 'nowhere'), join(root, 'odd', 'dangling'));
execFileSync('mkfifo', [join(root, 'odd', 'fifo')]);
for (const name of ['x.conf', 'backup~', 'plain']) writeFileSync(join(root, 'odd', name), 'service odd\n{\n}\n');
const caseDictionary = [
  ...dictionary,
  'include', 'includedir', 'include /dev/null', 'include /dev/zero', 'include /', 'include xinetd.conf', 'include ../odd/fifo', 'includedir ../odd', 'includedir d', 'includedir .',
  'include ../chain/chain0', 'include ../chain/chain30', 'include ../loop/a', 'includedir ../loop',
];

/** A case: a mutated main file, and mutated files in d/ that `includedir d` reads. */
function writeCase(rng: Rng, index: number): { main: string; text: Buffer } {
  const dir = join(root, `case${index}`);
  mkdirSync(join(dir, 'd'), { recursive: true });
  const options = { dictionary: caseDictionary, donors: corpus };
  for (let i = rng.int(3); i > 0; i--) writeFileSync(join(dir, 'd', `f${i}`), mutate(rng, rng.pick(corpus), options));
  let main = mutate(rng, rng.pick(corpus), options);
  if (rng.chance(0.3)) main = Buffer.concat([main, Buffer.from(`\n${rng.pick(['includedir d', 'include ../chain/chain0', 'include ../loop/a', 'include d/f1'])}\n`)]);
  writeFileSync(join(dir, 'xinetd.conf'), main);
  return { main: join(dir, 'xinetd.conf'), text: main };
}

/** A breathe() that sometimes yields a turn of the event loop and sometimes goes on at once. */
const breather = (rng: Rng) => () => (rng.chance(0.5) ? new Promise<void>((resolve) => setImmediate(resolve)) : undefined);

/** The properties of one parse: located, proportional to the input. */
function checkRaw(raw: RawConfig): Map<string, number> {
  const counts = lineCounts(raw.files);
  for (const d of raw.diagnostics) assertDiagnosticLocated(d, counts);
  let tokens = 0;
  for (const s of raw.sections) {
    assertLocated(s.at, counts, `section ${s.kind} ${s.name}`);
    for (const e of s.entries) {
      assertLocated(e.at, counts, `entry ${e.attr}`);
      tokens += e.values.length + 1;
    }
  }
  const lines = [...counts.values()].reduce((a, b) => a + b, 0);
  // Bounded memory: no more entries and diagnostics than the files have lines (and tokens).
  assert.ok(tokens <= 16 * 1024 * raw.files.length + lines * 8 * 1024, `${tokens} tokens from ${lines} lines`);
  // A few per line and per file (an includedir line: one per entry it skips).
  assert.ok(raw.diagnostics.length <= 4 * lines + 4 * raw.files.length + 8, `${raw.diagnostics.length} diagnostics from ${lines} lines`);
  return counts;
}

test('classic parser and resolver: mutated configurations', async (t) => {
  const run = await fuzz('classic', { seed: 1101, count: 2000, caseMs: 2000 }, writeCase, async ({ main }, rng) => {
    const sync = parseClassicConfig(main);
    const sliced = await parseClassicConfigSliced(main, breather(rng));
    assert.deepEqual(sliced, sync, 'the sliced parse differs from the synchronous one');
    const counts = checkRaw(sync);

    const resolved = await resolveWith(daemon, sync);
    const resolvedSliced = await resolveWith(daemon, sliced, 0);
    assert.deepEqual(checkRows(resolvedSliced), checkRows(resolved), 'the sliced resolution differs');
    assert.deepEqual(resolvedSliced.diagnostics, resolved.diagnostics, 'the sliced resolution reports differently');
    assertProblemsLocated(resolved.diagnostics, counts);
    for (const s of resolved.skipped) assertLocated(s.at, counts, `skipped service ${s.name}`);
  });
  t.diagnostic(summary(run));
});
