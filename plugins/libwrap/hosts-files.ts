import type { SourceLocation } from '../../core/config/raw.js';
import { parseOptions, type RuleOptions } from './hosts-options.js';

/** One `daemon_list : client_list [: options]` line of hosts.allow / hosts.deny. */
export interface HostsRule {
  readonly daemons: readonly string[];
  readonly clients: readonly string[];
  readonly options: RuleOptions | undefined;
  readonly at: SourceLocation;
  /** The rule as written (continuations joined), for messages. */
  readonly text: string;
}

export interface HostsDiagnostic {
  readonly at: SourceLocation;
  readonly message: string;
}

export interface HostsTable {
  readonly file: string;
  readonly rules: readonly HostsRule[];
  readonly diagnostics: readonly HostsDiagnostic[];
}

/** tcpd's line buffer: longer lines are skipped with a warning. */
const MAX_LINE = 2047;
const SEPARATORS = /[\s,]+/;

/** Split at the first `delimiter` outside `[...]` (the IPv6 form), as Debian's tcpd does. */
export function splitAt(text: string, delimiter: string): [string, string] | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (depth === 0 && c === delimiter) return [text.slice(0, i), text.slice(i + 1)];
  }
  return undefined;
}

export function listTokens(text: string): string[] {
  return text.split(SEPARATORS).filter(Boolean);
}

/**
 * The patterns of a `/file`: tcpd reads it with fscanf("%s"), so only white space separates
 * them. There are no comments (`#` is part of a token) and a comma stays inside its token.
 */
export function patternFileTokens(text: string): string[] {
  return text.split(/[ \t\n\v\f\r]+/).filter(Boolean);
}

/**
 * Parse a hosts_access(5) table (reference 18.1). Like Debian's tcpd: `\` + newline joins
 * lines, `#` in column one and blank lines are ignored, a line without `:` is skipped with a
 * warning. Pure: the caller reads the file.
 */
export function parseHostsTable(text: string, file: string): HostsTable {
  const rules: HostsRule[] = [];
  const diagnostics: HostsDiagnostic[] = [];
  const lines = text.split('\n');
  const complete = text.endsWith('\n');
  let pending = '';
  for (let i = 0; i < lines.length; i++) {
    const last = i === lines.length - 1;
    if (last && lines[i] === '' && complete) break;
    const at = { file, line: i + 1 };
    const physical = lines[i]!;
    if (!last && physical.endsWith('\\')) {
      pending += physical.slice(0, -1);
      continue;
    }
    const line = pending + physical;
    pending = '';
    if (line.length > MAX_LINE) {
      diagnostics.push({ at, message: 'line too long' });
      continue;
    }
    if (line.startsWith('#') || line.trim() === '') continue;
    const first = splitAt(line, ':');
    if (!first) {
      diagnostics.push({ at, message: 'missing ":" separator' });
      continue;
    }
    const second = splitAt(first[1], ':');
    const clientText = second ? second[0] : first[1];
    let options: RuleOptions | undefined;
    if (second) {
      options = parseOptions(second[1]);
      if (options.error) diagnostics.push({ at, message: `${options.error} (a matching client is refused)` });
      for (const o of options.ignored) diagnostics.push({ at, message: `option ${o} is not supported by xinetd-ts and is ignored` });
      if (options.refusing) diagnostics.push({ at, message: `option ${options.refusing} is not supported by xinetd-ts: a matching client is refused` });
    }
    const rule: HostsRule = { daemons: listTokens(first[0]), clients: listTokens(clientText), options, at, text: line.trim() };
    for (const token of [...rule.daemons, ...rule.clients]) {
      if (token.startsWith('@')) diagnostics.push({ at, message: `NIS netgroup ${token} is not supported: it matches nothing` });
    }
    for (const token of rule.clients) {
      const user = splitAt(token.slice(1), '@');
      if (user && !/^(ALL)$/i.test(token[0] + user[0])) diagnostics.push({ at, message: `${token}: the ident user name is not looked up; it is "unknown"` });
    }
    rules.push(rule);
  }
  return { file, rules, diagnostics };
}
