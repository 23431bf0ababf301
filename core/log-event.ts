import type { SourceLocation } from './config/raw.js';
import type { Connection } from './connection.js';
import type { Refusal } from './refusal.js';

export type DaemonLevel = 'crit' | 'error' | 'warning' | 'notice' | 'info' | 'debug';

/**
 * What the `log` hook carries. Service records carry exactly what xinetd's log_on_success /
 * log_on_failure flags can ask for; the sinks choose the fields.
 */
export type LogEvent =
  | { readonly kind: 'start'; readonly conn: Connection; readonly pid: number; readonly time: number }
  | {
      readonly kind: 'exit';
      readonly conn: Connection;
      readonly pid: number;
      readonly status?: number;
      readonly signal?: number;
      readonly durationMs: number;
      readonly time: number;
    }
  | { readonly kind: 'fail'; readonly conn: Connection; readonly refusal: Refusal; readonly time: number }
  | { readonly kind: 'userid'; readonly conn: Connection; readonly text: string; readonly time: number }
  | { readonly kind: 'noid'; readonly conn: Connection; readonly reason: string; readonly time: number }
  | { readonly kind: 'traffic'; readonly conn: Connection; readonly in: number; readonly out: number; readonly time: number }
  | {
      /** The daemon's own messages (xinetd's msg(): startup, errors, cps, reload). */
      readonly kind: 'daemon';
      readonly level: DaemonLevel;
      readonly message: string;
      readonly at?: SourceLocation;
      readonly time: number;
    };

export type ServiceLogEvent = Exclude<LogEvent, { kind: 'daemon' }>;
