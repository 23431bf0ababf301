/**
 * Syslog facility and severity numbers by the names xinetd accepts. syslog-client's own
 * constants lack several of them (mail, daemon, auth, ...), so every sink uses this table.
 */
const FACILITY_CODES: ReadonlyMap<string, number> = new Map(Object.entries({
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
}));

export const LEVELS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;

/** A Map: `constructor` or `__proto__` is no facility (an object's inherited keys would be). */
export function facilityCode(name: string): number | undefined {
  return FACILITY_CODES.get(name.toLowerCase());
}

export function levelCode(name: string): number | undefined {
  const i = (LEVELS as readonly string[]).indexOf(name.toLowerCase());
  return i < 0 ? undefined : i;
}

/** Severities of the daemon's own messages (reference 9.4). */
export const DAEMON_SEVERITY = { crit: 2, error: 3, warning: 4, notice: 5, info: 6, debug: 7 } as const;
