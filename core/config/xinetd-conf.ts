/**
 * The classic xinetd.conf parser (reference §1.1-1.4). It only knows the grammar: top-level
 * keywords, braces and `NAME OP values...` lines. Attribute meaning is the registry's job.
 *
 * Deliberate differences from xinetd 2.3.15.3:
 * - a trailing CR is stripped from every line, so CRLF files parse;
 * - relative `include`/`includedir` paths resolve against the including file's directory
 *   (xinetd uses its cwd, which becomes `/` after a SIGHUP);
 * - include loops are detected and nesting depth is bounded;
 * - a stray `}` at top level is a warning instead of the start of a skipped entry;
 * - after `service foo {`, a lone `}` on the next line ends the skipped entry (xinetd would
 *   consume it and go on to swallow the next entry).
 */
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { textFromBytes } from '../raw-text.js';
import path from 'node:path';
import { XinetdError } from '../errors.js';
import { readRegularFileSync } from '../regular-file.js';
import type {
  Diagnostic,
  DiagnosticLevel,
  Operator,
  RawConfig,
  RawEntry,
  RawSection,
  SourceLocation,
} from './raw.js';

export const MAX_LINE_BYTES = 16 * 1024;
export const MAX_INCLUDE_DEPTH = 32;

/** Mutable accumulator shared by a main file and everything it includes. */
export interface ClassicSink {
  readonly sections: RawSection[];
  readonly diagnostics: Diagnostic[];
  readonly files: string[];
  /** Real paths of the files currently being parsed (include loop detection). */
  readonly stack: string[];
}

export function createClassicSink(): ClassicSink {
  return { sections: [], diagnostics: [], files: [], stack: [] };
}

/**
 * The parse, as steps: each yield comes after an entry or an included file, where a caller that
 * must keep serving (a reload) may let the event loop run.
 */
export type Steps = Generator<void, void, void>;

/** Runs steps to their end, synchronously. */
export function drain(steps: Steps): void {
  for (let step = steps.next(); !step.done; step = steps.next());
}

/** Runs steps to their end, awaiting `breathe()` after each (core/config/breather.ts). */
export async function breatheThrough(steps: Steps, breathe: () => Promise<void> | undefined): Promise<void> {
  for (let step = steps.next(); !step.done; step = steps.next()) await breathe();
}

/** Parses the main configuration file; throws XI_ERR_CONFIG_UNREADABLE if it cannot be read. */
export function parseClassicConfig(mainFile: string): RawConfig {
  const { steps, result } = startParse(mainFile);
  drain(steps);
  return result();
}

/**
 * parseClassicConfig for a reload: `breathe()` is awaited between entries and included files
 * when it returns a promise (core/config/breather.ts), so reading a directory of 1,000 files
 * does not keep the daemon from accepting meanwhile.
 */
export async function parseClassicConfigSliced(mainFile: string, breathe: () => Promise<void> | undefined): Promise<RawConfig> {
  const { steps, result } = startParse(mainFile);
  await breatheThrough(steps, breathe);
  return result();
}

function startParse(mainFile: string): { steps: Steps; result: () => RawConfig } {
  const file = path.resolve(mainFile);
  let text: string;
  try {
    text = textFromBytes(readRegularFileSync(file));
  } catch (cause) {
    throw new XinetdError('XI_ERR_CONFIG_UNREADABLE', `Cannot read configuration file ${file}: ${errorText(cause)}`, {
      cause,
    });
  }
  const sink = createClassicSink();
  sink.files.push(file);
  return {
    steps: withStack(sink, file, textSteps(text, file, sink)),
    result: () => ({ sections: sink.sections, diagnostics: sink.diagnostics, files: sink.files, plugins: [], source: file }),
  };
}

// ---------------------------------------------------------------------------------------------
// Lines

export interface Line {
  readonly text: string;
  readonly tokens: readonly string[];
  readonly at: SourceLocation;
}

/** Walks significant lines (no comments, no blanks, no over-long lines) of one file. */
class LineCursor {
  private index = 0;
  private readonly raw: readonly string[];

  /** The file's last line: where xinetd reports what it finds missing at the end of the file. */
  readonly end: SourceLocation;

  constructor(
    text: string,
    readonly file: string,
    private readonly sink: ClassicSink,
  ) {
    this.raw = text.split('\n');
    this.end = { file, line: Math.max(1, this.raw.length - (text.endsWith('\n') ? 1 : 0)) };
  }

  next(): Line | undefined {
    while (this.index < this.raw.length) {
      const lineNo = this.index + 1;
      const text = stripCr(this.raw[this.index++] ?? '');
      if (isBlankOrComment(text)) continue;
      const at = { file: this.file, line: lineNo };
      // A UTF-16 unit is at most 3 UTF-8 bytes: only long lines need counting.
      if (text.length > MAX_LINE_BYTES / 3 && Buffer.byteLength(text) > MAX_LINE_BYTES) {
        report(this.sink, 'error', `line too long (more than ${MAX_LINE_BYTES} bytes); ignored`, at);
        continue;
      }
      return { text, tokens: tokenize(text), at };
    }
    return undefined;
  }
}

function stripCr(text: string): string {
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}

const BLANK_OR_COMMENT = /^\s*(?:#|$)/;

function isBlankOrComment(text: string): boolean {
  return BLANK_OR_COMMENT.test(text);
}

/** Spaces and TABs only; no quoting (reference §1.1). */
function tokenize(text: string): string[] {
  return text.split(/[ \t]+/).filter((t) => t !== '');
}

function isLone(line: Line, brace: '{' | '}'): boolean {
  return line.text.trim() === brace;
}

// ---------------------------------------------------------------------------------------------
// Top level

/** Parses one file's text into the sink. `file` must be absolute. */
function* textSteps(text: string, file: string, sink: ClassicSink): Steps {
  const cursor = new LineCursor(text, file, sink);
  let defaultsSeen = false;
  for (let line = cursor.next(); line; line = cursor.next()) {
    const keyword = (line.tokens[0] ?? '').toLowerCase();
    if (keyword === 'defaults') {
      defaultsSeen = parseDefaults(cursor, line, sink, defaultsSeen);
    } else if (keyword === 'service') {
      parseService(cursor, line, sink);
    } else if (keyword === 'include' || keyword === 'includedir') {
      yield* includeLineSteps(line, keyword, sink);
    } else {
      // A stray `}` too: xinetd then skips to the next lone `}`, so the entry after it is lost.
      report(sink, 'error', 'missing service keyword', line.at);
      skipEntry(cursor, sink);
    }
    yield;
  }
}

function* includeLineSteps(line: Line, keyword: 'include' | 'includedir', sink: ClassicSink): Steps {
  const target = line.tokens[1];
  if (target === undefined) {
    report(sink, 'error', `${keyword}: missing path`, line.at);
    return;
  }
  const resolved = path.resolve(path.dirname(line.at.file), target);
  if (keyword === 'include') yield* includeFileSteps(sink, resolved, line.at);
  else yield* includeDirSteps(sink, resolved, line.at);
}

/** Skips lines up to and including the next lone `}`. */
function skipEntry(cursor: LineCursor, sink: ClassicSink, service?: string): void {
  const unclosed = skipToClose(cursor, service);
  if (unclosed) sink.diagnostics.push(unclosed);
}

/** Skips up to and including the next lone `}`; at the end of the file, the warning to give. */
function skipToClose(cursor: LineCursor, service?: string): Diagnostic | undefined {
  for (let line = cursor.next(); line; line = cursor.next()) {
    if (isLone(line, '}')) return undefined;
  }
  return unclosedEntry(cursor, service);
}

/** xinetd's warning for an entry the file ends in, at the file's last line. */
function unclosedEntry(cursor: LineCursor, service?: string): Diagnostic {
  return diagnostic('warning', 'missing } in last service entry', cursor.end, service);
}

/**
 * Expects the lone `{` that opens an entry. Returns false (after reporting and skipping)
 * when it is not there.
 */
function openEntry(cursor: LineCursor, label: string, sink: ClassicSink, service?: string): boolean {
  const line = cursor.next();
  if (!line) {
    // The file ends after the keyword line.
    report(sink, 'error', `${label}: missing '{'`, cursor.end, service);
    sink.diagnostics.push(unclosedEntry(cursor, service));
    return false;
  }
  if (isLone(line, '{')) return true;
  // xinetd names the line it read in place of the `{`, not the keyword's.
  report(sink, 'error', `${label}: missing '{'`, line.at, service);
  if (!isLone(line, '}')) skipEntry(cursor, sink, service);
  return false;
}

// ---------------------------------------------------------------------------------------------
// Entries

type Body =
  | { readonly kind: 'closed'; readonly entries: RawEntry[] }
  | { readonly kind: 'eof'; readonly entries: RawEntry[] }
  | { readonly kind: 'syntax'; readonly entries: RawEntry[]; readonly error: Diagnostic };

/** Reads attribute lines up to the lone `}`; stops at the first syntax error. */
function readBody(cursor: LineCursor, service?: string): Body {
  const entries: RawEntry[] = [];
  for (let line = cursor.next(); line; line = cursor.next()) {
    if (isLone(line, '}')) return { kind: 'closed', entries };
    const parsed = parseAttributeLine(line);
    if ('message' in parsed) {
      return { kind: 'syntax', entries, error: diagnostic('error', parsed.message, line.at, service) };
    }
    entries.push(parsed);
  }
  return { kind: 'eof', entries };
}

function parseService(cursor: LineCursor, line: Line, sink: ClassicSink): void {
  const name = line.tokens[1];
  if (name === undefined) {
    report(sink, 'error', 'service name missing', line.at);
    skipEntry(cursor, sink);
    return;
  }
  if (!openEntry(cursor, `Service ${name}`, sink, name)) return;
  const body = readBody(cursor, name);
  if (body.kind === 'eof') {
    report(sink, 'error', 'incomplete entry', cursor.end, name);
    sink.diagnostics.push(unclosedEntry(cursor, name));
    return;
  }
  const section = { kind: 'service' as const, name, entries: body.entries, at: line.at, origin: 'xinetd' as const, diagnosticsBefore: sink.diagnostics.length };
  if (body.kind === 'syntax') {
    // The resolver reports `broken` (and then `unclosed`) unless an earlier `disable = yes`
    // silenced the entry.
    const unclosed = skipToClose(cursor, name);
    sink.sections.push({ ...section, broken: body.error, ...(unclosed ? { unclosed } : {}) });
    return;
  }
  sink.sections.push(section);
}

/** Returns whether this file now holds its one accepted `defaults` entry. */
function parseDefaults(cursor: LineCursor, line: Line, sink: ClassicSink, alreadySeen: boolean): boolean {
  if (alreadySeen) {
    report(sink, 'error', 'only 1 defaults entry is allowed. This entry will be ignored', line.at);
    if (openEntry(cursor, 'defaults', sink)) skipEntry(cursor, sink);
    return true;
  }
  if (!openEntry(cursor, 'defaults', sink)) return false;
  const body = readBody(cursor);
  if (body.kind === 'eof') {
    // No `missing }` warning after it for defaults (xinetd).
    report(sink, 'error', 'incomplete entry', cursor.end);
    return false;
  }
  sink.sections.push({ kind: 'defaults', name: '', entries: body.entries, at: line.at, origin: 'xinetd', diagnosticsBefore: sink.diagnostics.length });
  if (body.kind === 'closed') return true;
  // xinetd keeps what came before the bad line, then falls back to the top level, where the
  // rest of the entry is garbage; a later `defaults` entry is then still accepted.
  sink.diagnostics.push(body.error);
  report(sink, 'error', 'missing service keyword', body.error.at ?? line.at);
  skipEntry(cursor, sink);
  return false;
}

// ---------------------------------------------------------------------------------------------
// Attribute lines

export interface AttributeSyntaxError {
  readonly message: string;
}

/** `NAME <ws> OP values...` where OP is `=`, `+=` or `-=` (reference §1.3). */
export function parseAttributeLine(line: Line): RawEntry | AttributeSyntaxError {
  const [first = '', second, ...rest] = line.tokens;
  if (first.includes('=')) {
    const attr = first.slice(0, first.indexOf('=')).replace(/[+-]$/, '');
    return { message: `Attribute ${attr} needs a space before operator` };
  }
  if (second === undefined) return { message: `Nothing after attribute: ${first}` };
  const op = operatorOf(second);
  if (op === undefined) return { message: `Bad operator for attribute: ${first}` };
  const glued = second.slice(op.length); // `port =23`: whitespace after the operator is optional
  const values = glued === '' ? rest : [glued, ...rest];
  return { attr: first, op, values, at: line.at };
}

function operatorOf(token: string): Operator | undefined {
  if (token.startsWith('=')) return '=';
  if (token.startsWith('+=')) return '+=';
  if (token.startsWith('-=')) return '-=';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// include / includedir

/** Parses `file` in place as an included configuration file (non-fatal on failure), as steps. */
export function* includeFileSteps(sink: ClassicSink, file: string, at: SourceLocation): Steps {
  const real = realPathOr(file);
  if (sink.stack.includes(real)) {
    report(sink, 'error', `Include loop: ${file} is already being read; skipped`, at);
    return;
  }
  if (sink.stack.length >= MAX_INCLUDE_DEPTH) {
    report(sink, 'error', `Includes nested deeper than ${MAX_INCLUDE_DEPTH}: ${file} skipped`, at);
    return;
  }
  let text: string;
  try {
    text = textFromBytes(readRegularFileSync(file));
  } catch (error) {
    // A FIFO or a device is never opened: reading one would hang or never end (xinetd hangs).
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTREG') report(sink, 'error', `${file} is not a regular file. It is being skipped.`, at);
    else report(sink, 'error', `Unable to open included configuration file: ${file}${code === 'EFBIG' ? ` (${(error as Error).message})` : ''}`, at);
    return;
  }
  // Only a file that could be opened is `Reading` (xinetd).
  report(sink, 'debug', `Reading included configuration file: ${file}`, at);
  sink.files.push(file);
  yield* withStack(sink, file, textSteps(text, file, sink));
}

/** Parses the eligible files of `dir` in byte order (reference §1.2), as steps (one a file). */
export function* includeDirSteps(sink: ClassicSink, dir: string, at: SourceLocation): Steps {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    report(sink, 'error', `Unable to read included directory: ${dir}`, at);
    return;
  }
  for (const name of sortBytewise(names.filter(isIncludable))) {
    const file = path.join(dir, name);
    const kind = fileKind(file);
    // xinetd's words and level (ERROR) for a sub-directory and for a dangling link; the first
    // names only the file (no [file=] [line=]), as xinetd 2.3.15 logs it.
    if (kind === 'regular') yield* includeFileSteps(sink, file, at);
    else if (kind === 'other') sink.diagnostics.push({ level: 'error', message: `${file} is not a regular file. It is being skipped.` });
    else report(sink, 'error', `Unable to stat includedir file ${file}`, at);
    yield;
  }
}

/** Names with a dot anywhere (also `.`, `..`, `x.conf`, `.hidden`) or a trailing `~` are skipped. */
export function isIncludable(name: string): boolean {
  return !name.includes('.') && !name.endsWith('~');
}

/** strcmp order, i.e. bytes of the UTF-8 names (C locale). */
export function sortBytewise(names: readonly string[]): string[] {
  return [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function fileKind(file: string): 'regular' | 'other' | 'unknown' {
  try {
    return statSync(file).isFile() ? 'regular' : 'other'; // follows symlinks
  } catch {
    return 'unknown';
  }
}

function realPathOr(file: string): string {
  try {
    return realpathSync.native(file);
  } catch {
    return file;
  }
}

/** `file` is on the include stack while its steps run. */
function* withStack(sink: ClassicSink, file: string, steps: Steps): Steps {
  sink.stack.push(realPathOr(file));
  try {
    yield* steps;
  } finally {
    sink.stack.pop();
  }
}

// ---------------------------------------------------------------------------------------------

function report(sink: ClassicSink, level: DiagnosticLevel, message: string, at: SourceLocation, service?: string): void {
  sink.diagnostics.push(diagnostic(level, message, at, service));
}

function diagnostic(level: DiagnosticLevel, message: string, at: SourceLocation, service?: string): Diagnostic {
  return service === undefined ? { level, message, at } : { level, message, at, service };
}

function errorText(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
