import type { DumpContext } from '../../core/config/attribute-dump.js';
import type { LogType, SyslogServer } from './attributes.js';

/** xinetd's flag tables, in its order; TRAFFIC (xinetd-ts only) last. */
const SUCCESS_ORDER = ['HOST', 'DURATION', 'EXIT', 'PID', 'USERID', 'TRAFFIC'];
const FAILURE_ORDER = ['HOST', 'ATTEMPT', 'USERID'];

const logTypeOf = (ctx: DumpContext) => ctx.values.get<LogType>({ name: 'log_type' });

/** Where records go; a service writing to the defaults' FILE shares xinetd's "common log file". */
export function logTypeLines(type: LogType | undefined, ctx: DumpContext): string[] {
  if (!type) return ['No logging'];
  if (type.kind === 'syslog') return [`Logging to syslog. Facility = ${type.facilityName}, level = ${type.levelName}`];
  if (ctx.service && ctx.values.inherited({ name: 'log_type' })) return ['Logging to common log file'];
  const limits = type.soft === undefined ? '(no limits)' : `(soft=${type.soft} hard=${type.hard ?? type.soft})`;
  return [`Logging to file: ${type.path} ${limits}`];
}

/** `Log_on_success flags = ...` (or failure); nothing when the entry does not log at all. */
export function logFlagLines(label: string, order: readonly string[]) {
  return (flags: ReadonlySet<string> | undefined, ctx: DumpContext): string[] => {
    if (!logTypeOf(ctx)) return [];
    const words = order.filter((f) => flags?.has(f));
    return [`${label} flags =${words.map((w) => ` ${w}`).join('')}`];
  };
}

export const successLines = logFlagLines('Log_on_success', SUCCESS_ORDER);
export const failureLines = logFlagLines('Log_on_failure', FAILURE_ORDER);

export const syslogServerLines = (server: SyslogServer | undefined): string[] => (server ? [`syslog_server = ${server.key}`] : []);
