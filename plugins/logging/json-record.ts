import type { LogEvent } from '../../core/log-event.js';
import { IDONLY_REFUSAL } from './format.js';

/**
 * One record as a JSON line for log pipelines: every field named, whatever the log_on_* flags
 * say, and refusals with their reason, detail and refusing plugin. Beyond xinetd.
 */
export function jsonRecord(event: LogEvent): string {
  const base = { time: new Date(event.time).toISOString() };
  if (event.kind === 'daemon') {
    return `${JSON.stringify({ ...base, type: 'DAEMON', level: event.level, message: event.message, file: event.at?.file, line: event.at?.line })}\n`;
  }
  const { conn } = event;
  const common = {
    ...base,
    service: conn.service.id,
    name: conn.service.name,
    connection: conn.id,
    from: conn.peer?.address ?? null,
    from_port: conn.peer?.port ?? null,
    local: conn.local?.address || null,
    local_port: conn.local?.port ?? null,
  };
  let record: Record<string, unknown>;
  switch (event.kind) {
    case 'start':
      record = { type: 'START', ...common, pid: event.pid };
      break;
    case 'exit':
      record = { type: 'EXIT', ...common, pid: event.pid, status: event.status ?? null, signal: event.signal ?? null, duration_ms: event.durationMs };
      break;
    case 'fail': {
      const { code, detail, by } = event.refusal;
      record = code === IDONLY_REFUSAL
        ? { type: 'NOID', ...common, reason: detail ?? 'system error', by: by ?? null }
        : { type: 'FAIL', ...common, reason: code, detail: detail ?? null, by: by ?? null };
      break;
    }
    case 'userid':
      record = { type: 'USERID', ...common, userid: event.text };
      break;
    case 'noid':
      record = { type: 'NOID', ...common, reason: event.reason };
      break;
    case 'traffic':
      record = { type: 'TRAFFIC', ...common, in: event.in, out: event.out };
      break;
  }
  return `${JSON.stringify(record)}\n`;
}
