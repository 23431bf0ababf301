/**
 * Structured configuration (JSON, YAML, JS) found or loaded through cosmiconfig 9, turned into
 * the same RawConfig the classic parser produces.
 *
 * Model (module name `xinetd-ts`; in package.json under the key "xinetd-ts"):
 *
 *   {
 *     "defaults":   { "<attr>": value, "<attr>+": value, "<attr>-": value, ... },
 *     "services":   { "<name>": { "<attr>": value, ... }, ... }
 *                   // or [ { "name": "<name>", "<attr>": value, ... }, ... ]
 *     "include":    [ "classic/file", ... ],   // classic files, parsed after defaults, before services
 *     "includedir": [ "classic/dir", ... ],    // same, after the include files
 *     "plugins":    [ "npm-package", "./relative/path.js", ["./x.js", { options }] ]
 *   }
 *
 * A value is a string (split on whitespace into tokens), a number or boolean (one token;
 * true => "yes", false => "no"), or an array of those (each element is one token, not split,
 * so tokens may contain spaces). A key ending in `+` / `-` means `+=` / `-=`, otherwise `=`.
 * `include`/`includedir` also accept a single string. Paths in include/includedir are relative
 * to the configuration file's directory; plugin specifiers are kept as written with
 * `from.file` = the configuration file, which is what they are resolved against.
 *
 * Search: only the `searchFrom` directory (cosmiconfig 9's default 'none' strategy), so the
 * daemon never picks up a file from a parent directory by surprise. Nothing is cached: each
 * call builds a new explorer, and JS files are imported under a fresh URL every time so a
 * reload sees edits (each reload therefore leaves one module in Node's ESM cache).
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cosmiconfig, defaultLoaders, type Loader } from 'cosmiconfig';
import { XinetdError } from '../errors.js';
import type { Diagnostic, Operator, PluginSpec, RawConfig, RawEntry, RawSection, SourceLocation } from './raw.js';
import { assertRegularFileSync } from '../regular-file.js';
import { importFailure } from '../module-import-failure.js';
import { breatheThrough, createClassicSink, drain, includeDirSteps, includeFileSteps, parseClassicConfig, parseClassicConfigSliced, type ClassicSink, type Steps } from './xinetd-conf.js';

export type StructuredScalar = string | number | boolean;
export type StructuredValue = StructuredScalar | readonly StructuredScalar[];
export type StructuredAttributes = { readonly [attr: string]: StructuredValue };
export type StructuredService = StructuredAttributes & { readonly name: string };
export type StructuredPlugin = string | readonly [string] | readonly [string, unknown];

export interface StructuredConfig {
  readonly defaults?: StructuredAttributes;
  readonly services?: { readonly [name: string]: StructuredAttributes } | readonly StructuredService[];
  readonly include?: string | readonly string[];
  readonly includedir?: string | readonly string[];
  readonly plugins?: readonly StructuredPlugin[];
}

export const MODULE_NAME = 'xinetd-ts';

export const SEARCH_PLACES: readonly string[] = [
  'package.json',
  `.${MODULE_NAME}rc`,
  `.${MODULE_NAME}rc.json`,
  `.${MODULE_NAME}rc.yaml`,
  `.${MODULE_NAME}rc.yml`,
  `.${MODULE_NAME}rc.js`,
  `.${MODULE_NAME}rc.cjs`,
  `.${MODULE_NAME}rc.mjs`,
  `${MODULE_NAME}.config.js`,
  `${MODULE_NAME}.config.mjs`,
  `${MODULE_NAME}.config.cjs`,
];

const STRUCTURED_EXTENSIONS = new Set(['.json', '.yaml', '.yml', '.js', '.mjs', '.cjs']);
const JS_EXTENSIONS = new Set(['.js', '.mjs', '.cjs']);
const TOP_LEVEL_KEYS = new Set(['defaults', 'services', 'include', 'includedir', 'plugins']);

/**
 * Loads `file` (classic syntax unless it looks like a structured file), or searches
 * `searchFrom` (default: cwd). Resolves to undefined when a search finds nothing.
 */
export async function loadStructuredConfig(options: { searchFrom?: string; file?: string; breathe?: () => Promise<void> | undefined }): Promise<RawConfig | undefined> {
  const { breathe } = options;
  if (options.file !== undefined && isClassicFile(options.file)) {
    return breathe ? parseClassicConfigSliced(options.file, breathe) : parseClassicConfig(options.file);
  }
  const explorer = cosmiconfig(MODULE_NAME, {
    searchPlaces: [...SEARCH_PLACES],
    cache: false,
    loaders: LOADERS,
  });
  explorer.clearCaches();
  let result: Awaited<ReturnType<typeof explorer.load>>;
  try {
    // Never opened when it is a FIFO or a device (cosmiconfig would wait on it, or read for ever).
    if (options.file !== undefined) assertRegularFileSync(path.resolve(options.file));
    result = options.file !== undefined ? await explorer.load(path.resolve(options.file)) : await explorer.search(options.searchFrom);
  } catch (cause) {
    const what = options.file ?? `the structured configuration in ${options.searchFrom ?? process.cwd()}`;
    // A JavaScript configuration that throws or does not parse: say where, as for a plugin.
    const file = options.file !== undefined ? path.resolve(options.file) : undefined;
    const why = file !== undefined && JS_EXTENSIONS.has(path.extname(file)) ? await importFailure(cause, file) : cause instanceof Error ? cause.message : String(cause);
    throw new XinetdError('XI_ERR_CONFIG_UNREADABLE', `Cannot load ${what}: ${why}`, { cause });
  }
  if (result === null) {
    // A named file that holds nothing (YAML of comments, `null`, a package.json without the
    // key) is an empty configuration: reading /etc/xinetd.conf instead would be a surprise.
    if (options.file === undefined) return undefined;
    result = { config: undefined, filepath: path.resolve(options.file), isEmpty: true };
  }
  const conversion = startConversion(result.config, path.resolve(result.filepath));
  if (breathe) await breatheThrough(conversion.steps, breathe);
  else drain(conversion.steps);
  return conversion.result();
}

/** `.conf`, no extension, or any extension cosmiconfig has no loader for => classic syntax. */
function isClassicFile(file: string): boolean {
  const base = path.basename(file);
  if (base === 'package.json' || base === `.${MODULE_NAME}rc`) return false;
  return !STRUCTURED_EXTENSIONS.has(path.extname(base).toLowerCase());
}

let importCounter = 0;

/**
 * cosmiconfig 9 merges the files a `$import` key names into the configuration, read without the
 * regular-file check (a FIFO there hangs the load, and a reload with it, for ever) and with no
 * line numbers of their own. It is not part of the model: the loaders set it aside, under this
 * key, and the conversion reports it (include/includedir read classic files instead).
 */
const IMPORT_SET_ASIDE = Symbol('$import');

function setImportAside(value: unknown): unknown {
  if (!isRecord(value) || !Object.hasOwn(value, '$import')) return value;
  const { $import, ...rest } = value;
  return { ...rest, [IMPORT_SET_ASIDE]: $import };
}

/** The loader, then `$import` set aside (in package.json, under the module's key). */
function withoutImport(loader: Loader): Loader {
  return async (filepath, content) => {
    const loaded: unknown = await loader(filepath, content);
    if (path.basename(filepath) !== 'package.json' || !isRecord(loaded)) return setImportAside(loaded);
    return Object.hasOwn(loaded, MODULE_NAME) ? { ...loaded, [MODULE_NAME]: setImportAside(loaded[MODULE_NAME]) } : loaded;
  };
}

/** Imports a JS config under a new URL (and a cleared require cache) so edits are always seen. */
const loadFreshJs: Loader = async (filepath: string) => {
  const real = realpathSync(filepath);
  delete createRequire(import.meta.url).cache[real];
  const url = pathToFileURL(real);
  url.search = `?t=${++importCounter}`;
  const mod: { default?: unknown } = await import(url.href);
  return mod.default;
};

const LOADERS = {
  '.json': withoutImport(defaultLoaders['.json']),
  '.yaml': withoutImport(defaultLoaders['.yaml']),
  '.yml': withoutImport(defaultLoaders['.yml']),
  noExt: withoutImport(defaultLoaders.noExt),
  '.js': withoutImport(loadFreshJs),
  '.mjs': withoutImport(loadFreshJs),
  '.cjs': withoutImport(loadFreshJs),
};

// ---------------------------------------------------------------------------------------------
// Conversion

type JsonPath = readonly (string | number)[];

/** What the converters need: where to report, and how to find a line for a JSON path. */
interface Context {
  readonly file: string;
  readonly sink: ClassicSink;
  readonly plugins: PluginSpec[];
  readonly locate: (jsonPath: JsonPath) => SourceLocation;
  /** Attribute entries and values allowed (see valueBudget), and still left. */
  readonly budget: { readonly limit: number; left: number };
}

/** Entries and values any JSON or YAML file may expand to, however small. */
const MIN_VALUE_BUDGET = 65_536;

/**
 * How many attribute entries and values a JSON or YAML file may become: one per byte of it
 * (written out, each takes more), and never fewer than MIN_VALUE_BUDGET. Only YAML aliases and
 * merge keys go beyond that: a 47 KB file of 2,000 aliases to a 2,000-attribute mapping became
 * 4 million entries (minutes of a reload, half a gigabyte). A JS file builds what it says.
 */
function valueBudget(file: string): number {
  if (['.js', '.mjs', '.cjs'].includes(path.extname(file).toLowerCase())) return Number.POSITIVE_INFINITY;
  try {
    return Math.max(statSync(file).size, MIN_VALUE_BUDGET);
  } catch {
    return MIN_VALUE_BUDGET;
  }
}

function budgetOf(file: string): Context['budget'] {
  const limit = valueBudget(file);
  return { limit, left: limit };
}

function spend(ctx: Context, n: number, at: JsonPath): void {
  ctx.budget.left -= n;
  if (ctx.budget.left >= 0) return;
  throw new XinetdError(
    'XI_ERR_CONFIG_UNREADABLE',
    `Cannot load ${ctx.file}: at line ${ctx.locate(at).line} it expands to more than ${ctx.budget.limit} attribute entries and values (one per byte of the file; YAML aliases or merge keys repeated too often)`,
  );
}

/** Converts an already loaded structured configuration (exported for tests and tools). */
export function convertStructured(config: unknown, file: string): RawConfig {
  const conversion = startConversion(config, file);
  drain(conversion.steps);
  return conversion.result();
}

/** The conversion as steps: included classic files are read one step each (a reload breathes between them). */
function startConversion(config: unknown, file: string): { steps: Steps; result: () => RawConfig } {
  const sink = createClassicSink();
  sink.files.push(file);
  sink.stack.push(realPathOr(file));
  const ctx: Context = { file, sink, plugins: [], locate: locator(file), budget: budgetOf(file) };
  function* steps(): Steps {
    if (config === undefined || config === null) {
      warn(ctx, `${file}: the configuration is empty`, []);
    } else if (!isRecord(config)) {
      error(ctx, `${file}: $: expected an object`, []);
    } else {
      yield* convertTopLevel(ctx, config);
    }
  }
  return {
    steps: steps(),
    result: () => ({ sections: sink.sections, diagnostics: sink.diagnostics, files: sink.files, plugins: ctx.plugins, source: file }),
  };
}

function* convertTopLevel(ctx: Context, config: Record<string, unknown>): Steps {
  for (const key of Object.keys(config)) {
    if (!TOP_LEVEL_KEYS.has(key)) warn(ctx, `${ctx.file}: unknown top-level key "${key}" ignored`, [key]);
  }
  if (Object.hasOwn(config, IMPORT_SET_ASIDE)) {
    warn(ctx, `${ctx.file}: "$import" is not followed (name classic files in "include" or "includedir"); ignored`, ['$import']);
  }
  if (config.defaults !== undefined) convertDefaults(ctx, config.defaults);
  for (const [index, target] of pathList(ctx, config.include, 'include').entries()) {
    yield* includeFileSteps(ctx.sink, target, ctx.locate(listPath('include', config.include, index)));
  }
  for (const [index, target] of pathList(ctx, config.includedir, 'includedir').entries()) {
    yield* includeDirSteps(ctx.sink, target, ctx.locate(listPath('includedir', config.includedir, index)));
  }
  if (config.services !== undefined) convertServices(ctx, config.services);
  if (config.plugins !== undefined) convertPlugins(ctx, config.plugins);
}

function convertDefaults(ctx: Context, defaults: unknown): void {
  if (!isRecord(defaults)) {
    error(ctx, `${ctx.file}: $.defaults: expected an object of attributes`, ['defaults']);
    return;
  }
  const entries = convertAttributes(ctx, defaults, ['defaults']);
  ctx.sink.sections.push({ kind: 'defaults', name: '', entries, at: ctx.locate(['defaults']), origin: 'xinetd' });
}

function convertServices(ctx: Context, services: unknown): void {
  if (Array.isArray(services)) {
    services.forEach((service: unknown, index) => convertListedService(ctx, service, index));
  } else if (isRecord(services)) {
    for (const [name, attrs] of Object.entries(services)) convertService(ctx, name, attrs, ['services', name]);
  } else {
    error(ctx, `${ctx.file}: $.services: expected an object or an array`, ['services']);
  }
}

function convertListedService(ctx: Context, service: unknown, index: number): void {
  const where: JsonPath = ['services', index];
  if (!isRecord(service) || typeof service.name !== 'string' || service.name.trim() === '') {
    error(ctx, `${ctx.file}: ${formatPath(where)}: expected an object with a string "name"`, where);
    return;
  }
  const { name, ...attrs } = service;
  convertService(ctx, name, attrs, where);
}

function convertService(ctx: Context, name: string, attrs: unknown, where: JsonPath): void {
  if (!isRecord(attrs)) {
    error(ctx, `${ctx.file}: ${formatPath(where)}: expected an object of attributes`, where, name);
    return;
  }
  const entries = convertAttributes(ctx, attrs, where, name);
  const section: RawSection = { kind: 'service', name, entries, at: ctx.locate(where), origin: 'xinetd' };
  ctx.sink.sections.push(section);
}

function convertAttributes(ctx: Context, attrs: Record<string, unknown>, where: JsonPath, service?: string): RawEntry[] {
  const entries: RawEntry[] = [];
  for (const [key, value] of Object.entries(attrs)) {
    const at = [...where, key];
    if (Array.isArray(value)) spend(ctx, value.length, at);
    const values = tokens(value);
    spend(ctx, 1 + (Array.isArray(value) ? 0 : values?.length ?? 0), at);
    if (values === undefined) {
      error(ctx, `${ctx.file}: ${formatPath(at)}: expected a string, number, boolean or an array of those`, at, service);
      continue;
    }
    const { attr, op } = splitKey(key);
    entries.push({ attr, op, values, at: ctx.locate(at) });
  }
  return entries;
}

/** `only_from+` => `only_from +=`. */
function splitKey(key: string): { attr: string; op: Operator } {
  if (key.length > 1 && key.endsWith('+')) return { attr: key.slice(0, -1), op: '+=' };
  if (key.length > 1 && key.endsWith('-')) return { attr: key.slice(0, -1), op: '-=' };
  return { attr: key, op: '=' };
}

/** A string is split on whitespace; array elements are one token each. */
export function tokens(value: unknown): string[] | undefined {
  if (typeof value === 'string') return value.split(/\s+/).filter((t) => t !== '');
  if (Array.isArray(value)) {
    const out = value.map((element: unknown) => scalarToken(element));
    return out.every((t): t is string => t !== undefined) ? out : undefined;
  }
  const token = scalarToken(value);
  return token === undefined ? undefined : [token];
}

function scalarToken(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** include/includedir: a string or an array of strings, resolved against the file's directory. */
function pathList(ctx: Context, value: unknown, key: string): string[] {
  if (value === undefined) return [];
  const list: unknown[] = Array.isArray(value) ? value : [value];
  const dir = path.dirname(ctx.file);
  const out: string[] = [];
  list.forEach((item, index) => {
    if (typeof item === 'string' && item !== '') out.push(path.resolve(dir, item));
    else error(ctx, `${ctx.file}: ${formatPath(listPath(key, value, index))}: expected a path string`, listPath(key, value, index));
  });
  return out;
}

function listPath(key: string, value: unknown, index: number): JsonPath {
  return Array.isArray(value) ? [key, index] : [key];
}

function convertPlugins(ctx: Context, plugins: unknown): void {
  if (!Array.isArray(plugins)) {
    error(ctx, `${ctx.file}: $.plugins: expected an array`, ['plugins']);
    return;
  }
  plugins.forEach((item: unknown, index) => {
    const where: JsonPath = ['plugins', index];
    const spec = pluginSpec(item, ctx.locate(where));
    if (spec) ctx.plugins.push(spec);
    else error(ctx, `${ctx.file}: ${formatPath(where)}: expected a module specifier or [specifier, options]`, where);
  });
}

function pluginSpec(item: unknown, from: SourceLocation): PluginSpec | undefined {
  if (typeof item === 'string' && item !== '') return { specifier: item, from };
  if (!Array.isArray(item) || item.length < 1 || item.length > 2) return undefined;
  const [specifier, options]: unknown[] = item;
  if (typeof specifier !== 'string' || specifier === '') return undefined;
  return item.length === 2 ? { specifier, options, from } : { specifier, from };
}

// ---------------------------------------------------------------------------------------------
// Locations

/**
 * Line numbers for JSON and YAML files: for each key of the path, the first line at or after the
 * previous key's that holds it as a key (good enough for ordinary layouts, line 1 otherwise). JS
 * files always get line 1.
 */
function locator(file: string): (jsonPath: JsonPath) => SourceLocation {
  const text = textOf(file);
  const prefix: JsonPath = path.basename(file) === 'package.json' ? [MODULE_NAME] : [];
  const keyLines = text === undefined ? undefined : new KeyLines(text);
  return (jsonPath) => ({ file, line: keyLines ? keyLines.find([...prefix, ...jsonPath]) : 1 });
}

function textOf(file: string): string | undefined {
  const ext = path.extname(file).toLowerCase();
  if (['.js', '.mjs', '.cjs'].includes(ext)) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Where each key is written, found once per distinct key (the text searched for it, each line
 * holding it tested once) and then by binary search. Scanning the lines for every entry made a
 * 1,000-service JSON file cost 750 ms of a reload's event loop, and grew with the square of it.
 */
class KeyLines {
  readonly #text: string;
  readonly #lines: readonly string[];
  /** The offset in the text where each line starts. */
  readonly #starts: number[] = [0];
  readonly #found = new Map<string, readonly number[]>();

  constructor(text: string) {
    this.#text = text;
    this.#lines = text.split('\n');
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.#starts.push(i + 1);
  }

  /** The 1-based line of the path's last key found in order. */
  find(jsonPath: JsonPath): number {
    let from = 0;
    for (const key of jsonPath) {
      if (typeof key === 'number') continue;
      const lines = this.#linesOf(key);
      const found = lines[firstAtLeast(lines, from)];
      if (found === undefined) return from + 1;
      from = found;
    }
    return from + 1;
  }

  /** The lines (0-based, ascending) on which `key` is written as a key. */
  #linesOf(key: string): readonly number[] {
    const known = this.#found.get(key);
    if (known) return known;
    const pattern = new RegExp(`(^|[\\s{,])["']?${escapeRegExp(key)}["']?\\s*:`);
    const lines: number[] = [];
    for (let at = this.#text.indexOf(key); at >= 0 && at < this.#text.length; ) {
      const line = firstAtLeast(this.#starts, at + 1) - 1;
      if (pattern.test(this.#lines[line]!)) lines.push(line);
      const next = this.#starts[line + 1];
      if (next === undefined) break;
      at = this.#text.indexOf(key, next);
    }
    this.#found.set(key, lines);
    return lines;
  }
}

/** The index of the first element >= `value` in an ascending array (its length if none). */
function firstAtLeast(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}

function formatPath(jsonPath: JsonPath): string {
  return jsonPath.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : `${out}.${key}`), '$');
}

// ---------------------------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function warn(ctx: Context, message: string, where: JsonPath): void {
  ctx.sink.diagnostics.push({ level: 'warning', message, at: ctx.locate(where) });
}

function error(ctx: Context, message: string, where: JsonPath, service?: string): void {
  const diagnostic: Diagnostic = { level: 'error', message, at: ctx.locate(where) };
  ctx.sink.diagnostics.push(service === undefined ? diagnostic : { ...diagnostic, service });
}

function realPathOr(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}
