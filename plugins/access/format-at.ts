import type { SourceLocation } from '../../core/config/raw.js';

/** ` (file:line)` for messages naming the rule that decided, or nothing. */
export function formatAt(at: SourceLocation | undefined): string {
  return at ? ` (${at.file}:${at.line})` : '';
}
