import { readFileSync } from 'node:fs';

/** What `check` must report for a snippet written to show a mistake. */
export interface Expected {
  readonly level: 'error' | 'warning';
  /** Part of the diagnostic's message. */
  readonly message: string;
}

/** A fenced code block of a Markdown file. */
export interface Fence {
  readonly file: string;
  /** The line of the opening fence (1-based). */
  readonly line: number;
  /** The info string's first word: `xinetd`, `json`, `sh`...; empty when there is none. */
  readonly lang: string;
  /** The lines between the fences, without the indentation of the opening one. */
  readonly text: string;
  /** `<!-- check: error|warning MESSAGE -->` lines right above the fence. */
  readonly expected: readonly Expected[];
}

const MARK = /^\s*<!--\s*check:\s*(error|warning)\s+(.+?)\s*-->\s*$/;

/** Every fenced block of `file` (backticks or tildes, possibly indented in a list). */
export function fences(file: string): Fence[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const found: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, marker, lang] = open as unknown as [string, string, string, string];
    const close = new RegExp(`^\\s*${marker[0]}{${marker.length},}\\s*$`);
    let end = i + 1;
    while (end < lines.length && !close.test(lines[end]!)) end++;
    if (end === lines.length) throw new Error(`${file}:${i + 1}: the fence is never closed`);
    const body = lines.slice(i + 1, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()));
    // The marks are the comment lines right above the fence (a blank line ends them).
    const expected: Expected[] = [];
    for (let k = i - 1; k >= 0 && MARK.test(lines[k]!); k--) {
      const [, level, message] = MARK.exec(lines[k]!)!;
      expected.unshift({ level: level as Expected['level'], message: message! });
    }
    found.push({ file, line: i + 1, lang: lang.toLowerCase(), text: `${body.join('\n')}\n`, expected });
    i = end;
  }
  return found;
}
