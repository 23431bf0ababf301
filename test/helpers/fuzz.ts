/**
 * Deterministic fuzzing: a seeded PRNG, mutations of real corpora, and a case runner whose
 * failures name the seed and show the input, so every failure replays.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export class Rng {
  #state: number;

  constructor(readonly seed: number) {
    this.#state = seed >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** 0 <= n < max. */
  int(max: number): number {
    return max <= 0 ? 0 : this.next() % max;
  }

  chance(p: number): boolean {
    return this.next() / 0x100000000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** The seed of case `index` of a run seeded with `seed`: each case replays on its own. */
export function caseSeed(seed: number, index: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
}

/** Bytes that break parsers: NUL, control characters, invalid and overlong UTF-8, a BOM, CR. */
const HOSTILE_BYTES: readonly Buffer[] = [
  Buffer.of(0), Buffer.of(0xff), Buffer.of(0xfe, 0xff), Buffer.of(0xc0, 0xaf), Buffer.of(0xed, 0xa0, 0x80),
  Buffer.of(0xe2, 0x82), Buffer.of(0x80), Buffer.of(0xf4, 0x90, 0x80, 0x80), Buffer.of(0xef, 0xbb, 0xbf),
  Buffer.of(0x0d), Buffer.of(0x0b), Buffer.of(0x0c), Buffer.of(0x1b), Buffer.of(0x09), Buffer.from('\u00a0'), Buffer.from('\u2028'),
  Buffer.from('😀'), Buffer.from('é'),
];

/** Characters that mean something to some parser: braces, separators, wildcards, escapes. */
const PUNCTUATION = ['{', '}', ',', '.', ':', '[', ']', '*', '?', '%', '/', '\\', '=', '+', '-', '@', '#', 'a', '1', '0'];

/**
 * A long run of one unit (a dictionary word, or a few punctuation characters) up to `max`
 * characters: what makes a backtracking regular expression or a quadratic loop show itself.
 */
export function longToken(rng: Rng, dictionary: readonly string[], max: number, separator = ''): string {
  const unit = rng.chance(0.4) ? rng.pick(dictionary) : Array.from({ length: 1 + rng.int(3) }, () => rng.pick(PUNCTUATION)).join('');
  const length = 1 + rng.int(max);
  const times = Math.max(1, Math.floor(length / Math.max(1, unit.length + separator.length)));
  return Array<string>(times).fill(unit).join(separator).slice(0, max);
}

export interface MutateOptions {
  /** Grammar words and operators inserted as tokens or whole lines. */
  readonly dictionary: readonly string[];
  /** Other texts whose lines may be spliced in. */
  readonly donors?: readonly string[];
  /** Upper bound of mutations applied to one input (at least one is). */
  readonly maxMutations?: number;
  /** Longest line or token a mutation makes (default 20 KiB: past the parsers' line limits). */
  readonly maxLong?: number;
}

type Mutation = (rng: Rng, lines: Buffer[], options: MutateOptions) => void;

const lineIndex = (rng: Rng, lines: Buffer[]) => rng.int(lines.length);
const token = (rng: Rng, options: MutateOptions) => Buffer.from(rng.pick(options.dictionary));

function insertAt(line: Buffer, at: number, piece: Buffer): Buffer {
  return Buffer.concat([line.subarray(0, at), piece, line.subarray(at)]);
}

const MUTATIONS: readonly Mutation[] = [
  // byte flips
  (rng, lines) => {
    const i = lineIndex(rng, lines);
    const line = Buffer.from(lines[i]!);
    if (line.length > 0) line[rng.int(line.length)] ^= 1 << rng.int(8);
    lines[i] = line;
  },
  (rng, lines) => {
    const i = lineIndex(rng, lines);
    lines[i] = insertAt(lines[i]!, rng.int(lines[i]!.length + 1), rng.pick(HOSTILE_BYTES));
  },
  (rng, lines) => {
    const i = lineIndex(rng, lines);
    const line = lines[i]!;
    const at = rng.int(line.length + 1);
    lines[i] = Buffer.concat([line.subarray(0, at), line.subarray(at + 1 + rng.int(8))]);
  },
  // lines: duplicate, delete, swap, splice from a donor, truncate the file
  (rng, lines) => {
    const i = lineIndex(rng, lines);
    lines.splice(rng.int(lines.length + 1), 0, ...Array<Buffer>(1 + rng.int(3)).fill(lines[i]!));
  },
  (rng, lines) => {
    if (lines.length > 1) lines.splice(lineIndex(rng, lines), 1 + rng.int(2));
  },
  (rng, lines) => {
    const a = lineIndex(rng, lines);
    const b = lineIndex(rng, lines);
    [lines[a], lines[b]] = [lines[b]!, lines[a]!];
  },
  (rng, lines, options) => {
    if (!options.donors?.length) return;
    const donor = rng.pick(options.donors).split('\n');
    const from = rng.int(donor.length);
    const piece = donor.slice(from, from + 1 + rng.int(6)).map((l) => Buffer.from(l));
    lines.splice(rng.int(lines.length + 1), 0, ...piece);
  },
  (rng, lines) => {
    if (lines.length > 1) lines.length = 1 + rng.int(lines.length - 1);
  },
  // grammar tokens: into a line, or as lines of their own
  (rng, lines, options) => {
    const i = lineIndex(rng, lines);
    const line = lines[i]!;
    const spaces = [...line.entries()].filter(([, b]) => b === 0x20 || b === 0x09).map(([j]) => j);
    const at = spaces.length > 0 && rng.chance(0.7) ? rng.pick(spaces) : rng.int(line.length + 1);
    lines[i] = insertAt(line, at, Buffer.concat([Buffer.from(' '), token(rng, options), Buffer.from(rng.chance(0.5) ? ' ' : '')]));
  },
  (rng, lines, options) => {
    const words = Array.from({ length: 1 + rng.int(4) }, () => rng.pick(options.dictionary));
    lines.splice(rng.int(lines.length + 1), 0, Buffer.from(`${rng.chance(0.5) ? '\t' : ''}${words.join(rng.chance(0.8) ? ' ' : '')}`));
  },
  // braces removed or added
  (rng, lines) => {
    const braces = lines.map((l, i) => [l.toString('latin1').trim(), i] as const).filter(([t]) => t === '{' || t === '}');
    if (braces.length > 0) lines.splice(rng.pick(braces)[1], 1);
  },
  (rng, lines) => {
    lines.splice(rng.int(lines.length + 1), 0, Buffer.from(rng.pick(['{', '}', ' { ', '}}', '{ }', '\t}  '])));
  },
  // very long lines and tokens
  (rng, lines, options) => {
    const i = lineIndex(rng, lines);
    const long = Buffer.from(longToken(rng, options.dictionary, options.maxLong ?? 20 * 1024, rng.chance(0.5) ? ' ' : ''));
    lines[i] = insertAt(lines[i]!, rng.int(lines[i]!.length + 1), long);
  },
  // line ends: CRLF, CR alone, a trailing backslash
  (rng, lines) => {
    const all = rng.chance(0.5);
    for (let i = 0; i < lines.length; i++) if (all || rng.chance(0.3)) lines[i] = Buffer.concat([lines[i]!, Buffer.from(rng.chance(0.9) ? '\r' : '\\')]);
  },
];

/** `text` with between one and `maxMutations` random mutations applied. */
export function mutate(rng: Rng, text: string | Buffer, options: MutateOptions): Buffer {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, start)) {
    lines.push(bytes.subarray(start, i));
    start = i + 1;
  }
  lines.push(bytes.subarray(start));
  const n = 1 + rng.int(options.maxMutations ?? 6);
  for (let i = 0; i < n; i++) {
    if (lines.length === 0) lines.push(Buffer.alloc(0));
    rng.pick(MUTATIONS)(rng, lines, options);
  }
  return Buffer.concat(lines.flatMap((l, i) => (i === 0 ? [l] : [Buffer.from('\n'), l])));
}

/** An input as a failure message shows it: escaped, and cut when long. */
export function showInput(input: unknown, max = 1500): string {
  const text = JSON.stringify(input, (_key, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    // A Buffer, as its toJSON() left it: its bytes as text.
    const bytes = v as { type?: unknown; data?: unknown };
    return bytes?.type === 'Buffer' && Array.isArray(bytes.data) ? Buffer.from(bytes.data as number[]).toString('latin1') : v;
  });
  return text.length > max ? `${text.slice(0, max)}... (${text.length} characters)` : text;
}

export interface FuzzRun {
  readonly cases: number;
  readonly ms: number;
  /** The slowest case, in milliseconds. */
  readonly slowestMs: number;
  /** The largest heap seen after a case, in MiB (sampled). */
  readonly heapMiB: number;
}

/** The most heap a fuzz run may reach: a parser's memory must stay proportional to its input. */
const MAX_HEAP_MIB = 1024;

/** One line for the test's output: what a run did (t.diagnostic). */
export function summary(run: FuzzRun): string {
  return `${run.cases} cases in ${run.ms.toFixed(0)} ms (slowest ${run.slowestMs.toFixed(1)} ms, heap at most ${run.heapMiB.toFixed(0)} MiB)`;
}

/**
 * Runs `count` cases: `generate` builds the input of a case from its own Rng, `check` asserts the
 * properties. A failure names the run's seed, the case and its seed, and shows the input (the
 * whole input is also written to a file named in the message). A case slower than `caseMs` fails
 * (a parser must not run away on any input), and so does a heap past MAX_HEAP_MIB.
 */
export async function fuzz<T>(name: string, options: { seed: number; count: number; caseMs?: number }, generate: (rng: Rng, index: number) => T, check: (input: T, rng: Rng, index: number) => void | Promise<void>): Promise<FuzzRun> {
  const started = performance.now();
  let slowestMs = 0;
  let heapMiB = 0;
  for (let index = 0; index < options.count; index++) {
    const seed = caseSeed(options.seed, index);
    const rng = new Rng(seed);
    const input = generate(rng, index);
    const caseStart = performance.now();
    try {
      await check(input, rng, index);
      const ms = performance.now() - caseStart;
      slowestMs = Math.max(slowestMs, ms);
      if (ms > (options.caseMs ?? 1000)) throw new Error(`took ${ms.toFixed(0)} ms (limit ${options.caseMs ?? 1000} ms)`);
      if (index % 16 === 0) heapMiB = Math.max(heapMiB, process.memoryUsage().heapUsed / 2 ** 20);
      if (heapMiB > MAX_HEAP_MIB) throw new Error(`the heap reached ${heapMiB.toFixed(0)} MiB`);
    } catch (error) {
      const saved = saveInput(name, options.seed, index, input);
      const cause = error instanceof Error ? error.stack ?? error.message : String(error);
      throw new Error(`fuzz ${name}: case ${index} of seed ${options.seed} (case seed ${seed}) failed\ninput (all of it in ${saved}): ${showInput(input)}\n${cause}`, { cause: error });
    }
  }
  return { cases: options.count, ms: performance.now() - started, slowestMs, heapMiB };
}

function saveInput(name: string, seed: number, index: number, input: unknown): string {
  try {
    const dir = mkdtempSync(join(tmpdir(), 'xinetd-ts-fuzz-'));
    const file = join(dir, `${name.replace(/[^A-Za-z0-9_-]+/g, '-')}-${seed}-${index}`);
    writeFileSync(file, Buffer.isBuffer(input) || typeof input === 'string' ? input : showInput(input, Number.POSITIVE_INFINITY));
    return file;
  } catch {
    return '(not saved)';
  }
}
