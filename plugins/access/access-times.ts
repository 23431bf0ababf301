import { AttributeError } from '../../core/config/attributes.js';
import type { SourceLocation } from '../../core/config/raw.js';

/** One `H:M-H:M` interval in minutes of the day, both ends inclusive; `24:00` ends the day. */
export interface TimeInterval {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

const FORM = /^\s*(\d+):(\d+)-(\d+):(\d+)$/;

/** access_times values (reference 6); xinetd's messages for malformed and impossible intervals. */
export function parseAccessTimes(values: readonly string[]): TimeInterval[] {
  return values.map((text) => {
    const m = FORM.exec(text);
    if (!m) throw new AttributeError('incorrect time interval');
    const [h1, m1, h2, m2] = m.slice(1).map(Number) as [number, number, number, number];
    const endOfDay = h2 === 24 && m2 === 0;
    if (h1 > 23 || m1 > 59 || (!endOfDay && (h2 > 23 || m2 > 59))) throw new AttributeError('invalid time interval'); // xinetd names no value
    const start = h1 * 60 + m1;
    const end = h2 * 60 + m2;
    if (start >= end) throw new AttributeError('invalid time interval');
    return { start, end, text };
  });
}

/** The interval containing `date` (local time, minute resolution), if any. */
export function intervalAt(intervals: readonly TimeInterval[], date: Date): TimeInterval | undefined {
  const minute = date.getHours() * 60 + date.getMinutes();
  return intervals.find((i) => minute >= i.start && minute <= i.end);
}

/** The attribute's value: the intervals and where they were written. */
export interface AccessTimes {
  readonly intervals: readonly TimeInterval[];
  readonly at: SourceLocation;
}
