import { formatLocation } from '../../core/config/raw.js';
import type { LogEvent } from '../../core/log-event.js';
import type { SyslogServer } from './attributes.js';
import { DAEMON_SEVERITY } from './syslog-names.js';
import type { SyslogSinks } from './syslog-sink.js';

/**
 * The daemon's own messages to syslog (reference 9.4): facility `daemon` or `-syslog FACILITY`,
 * xinetd's level per message, ` [file=F] [line=N]` on configuration messages. Debug messages
 * too, at debug severity, as xinetd sends them: syslog's own rules decide where they go.
 */
export function daemonToSyslog(sinks: SyslogSinks, facility: number, server: () => SyslogServer | undefined) {
  return (event: LogEvent): void => {
    if (event.kind !== 'daemon') return;
    sinks.send({ facility, severity: DAEMON_SEVERITY[event.level], text: `${event.message}${formatLocation(event.at)}`, time: event.time }, server());
  };
}
