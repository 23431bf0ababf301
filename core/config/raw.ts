/**
 * The raw, attribute-agnostic shape both configuration sources (classic xinetd.conf and
 * cosmiconfig JSON/YAML/JS) are turned into. The parser knows no attribute names; the
 * attribute registry gives entries their meaning in `resolve.ts`.
 */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
}

export type Operator = '=' | '+=' | '-=';

export interface RawEntry {
  readonly attr: string;
  readonly op: Operator;
  readonly values: readonly string[];
  readonly at: SourceLocation;
}

export interface RawSection {
  readonly kind: 'defaults' | 'service';
  /** Service name (services only). */
  readonly name: string;
  readonly entries: readonly RawEntry[];
  readonly at: SourceLocation;
  /**
   * A syntax error that drops the whole entry in xinetd (e.g. `port=23`). Set on services;
   * resolve reports it unless `disable = yes` came before it (xinetd skips the rest silently).
   */
  readonly broken?: Diagnostic;
  /** With `broken`: the file ended before the entry's `}` (reported after it). */
  readonly unclosed?: Diagnostic;
  /** Where the entry came from: the classic files or the inetd.conf compatibility layer. */
  readonly origin?: 'xinetd' | 'inetd';
  /**
   * How many of the configuration's diagnostics were reported before this entry was read. The
   * resolver reports those first and this entry's own after them, so messages come in the
   * files' order as xinetd's do (an `includedir`'s lines between the entries around it).
   * Without it, every diagnostic read so far comes first.
   */
  readonly diagnosticsBefore?: number;
}

export type DiagnosticLevel = 'error' | 'warning' | 'notice' | 'info' | 'debug';

export interface Diagnostic {
  readonly level: DiagnosticLevel;
  readonly message: string;
  readonly at?: SourceLocation;
  /** The service the message is about, when there is one. */
  readonly service?: string;
}

/** A plugin named in configuration: a specifier resolved relative to `from`, plus options. */
export interface PluginSpec {
  readonly specifier: string;
  readonly options?: unknown;
  readonly from: SourceLocation;
}

export interface RawConfig {
  /** Sections in the order xinetd would see them (includes expanded in place). */
  readonly sections: readonly RawSection[];
  readonly diagnostics: readonly Diagnostic[];
  /** Every file that was read, in order (for `check` and reload). */
  readonly files: readonly string[];
  readonly plugins: readonly PluginSpec[];
  /** The main configuration file. */
  readonly source: string;
}

export function formatLocation(at: SourceLocation | undefined): string {
  return at ? ` [file=${at.file}] [line=${at.line}]` : '';
}
