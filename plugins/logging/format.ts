import type { ServiceLogEvent } from '../../core/log-event.js';

export interface LogFlags {
  readonly success: ReadonlySet<string>;
  readonly failure: ReadonlySet<string>;
}

/**
 * The refusal code of an IDONLY failure. xinetd writes no FAIL record for it but
 * `NOID: I ADDR REASON`; the reason is the refusal's detail.
 */
export const IDONLY_REFUSAL = 'x-idonly';

const pad = (n: number) => String(n).padStart(2, '0');

let stampSecond = Number.NaN;
let stamp = '';

/**
 * xinetd's FILE timestamp: `YY/M/D@HH:MM:SS`, month and day not padded, local time. Built at
 * most once per second (every record of a busy second shares it).
 */
export function fileTimestamp(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second === stampSecond) return stamp;
  const d = new Date(second * 1000);
  stamp = `${pad(d.getFullYear() % 100)}/${d.getMonth() + 1}/${d.getDate()}@${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  stampSecond = second;
  return stamp;
}

/**
 * One service record exactly as xinetd writes it (reference 9.1), or undefined when the
 * service's log_on_success / log_on_failure flags do not ask for it.
 */
export function formatRecord(event: ServiceLogEvent, flags: LogFlags): string | undefined {
  // xinetd writes EXIT when it reaps the server, under the service's id now: after a reload
  // that changed the id's case, the new spelling. The other records are written as it happens.
  const id = event.kind === 'exit' ? event.conn.state.config.id : event.conn.service.id;
  const address = event.conn.peer?.address ?? '<no address>';
  const s = flags.success;
  switch (event.kind) {
    case 'start':
      if (s.size === 0) return undefined;
      return `START: ${id}${s.has('PID') ? ` pid=${event.pid}` : ''}${s.has('HOST') ? ` from=${address}` : ''}`;
    case 'exit': {
      if (!s.has('EXIT') && !s.has('DURATION')) return undefined;
      let line = `EXIT: ${id}`;
      if (s.has('EXIT')) line += event.signal !== undefined ? ` signal=${event.signal}` : ` status=${event.status ?? 0}`;
      if (s.has('PID')) line += ` pid=${event.pid}`;
      if (s.has('DURATION')) line += ` duration=${Math.floor(event.durationMs / 1000)}(sec)`;
      return line;
    }
    case 'fail':
      if (event.refusal.code === IDONLY_REFUSAL) return `NOID: ${id} ${address} ${event.refusal.detail ?? 'system error'}`;
      if (flags.failure.size === 0) return undefined;
      return `FAIL: ${id} ${event.refusal.code}${flags.failure.has('HOST') ? ` from=${address}` : ''}`;
    case 'userid':
      return `USERID: ${id} ${event.text}`;
    case 'noid':
      return `NOID: ${id} ${address} ${event.reason}`;
    case 'traffic':
      return s.has('TRAFFIC') ? `TRAFFIC: ${id} in=${event.in}(bytes) out=${event.out}(bytes)` : undefined;
  }
}
