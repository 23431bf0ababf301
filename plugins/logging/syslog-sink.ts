import type { SyslogServer } from './attributes.js';
import type { Report } from '../../core/log-file/sink-health.js';
import { RemoteSyslog } from './syslog-remote.js';
import { SyslogRelay } from './syslog-relay.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** What syslog(3) sends to /dev/log: `<PRI>Mmm dd hh:mm:ss TAG[PID]: TEXT` (day space-padded). */
export function localSyslogLine(priority: number, time: number, tag: string, text: string): string {
  const d = new Date(time);
  const stamp = `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return `<${priority}>${stamp} ${tag}[${process.pid}]: ${text}`;
}

export interface SyslogMessage {
  readonly facility: number;
  readonly severity: number;
  readonly text: string;
  readonly time: number;
}

/**
 * Every syslog destination of the daemon: the local socket (one relay, started on first use)
 * and remote servers (one client per `syslog_server` value), all created lazily.
 */
export class SyslogSinks {
  readonly #socketPath: string;
  readonly #report: Report;
  #relay: SyslogRelay | undefined;
  readonly #remote = new Map<string, RemoteSyslog>();
  tag = 'xinetd';

  constructor(socketPath: string, report: Report) {
    this.#socketPath = socketPath;
    this.#report = report;
  }

  send(message: SyslogMessage, server: SyslogServer | undefined): void {
    const { facility, severity, text, time } = message;
    if (server) {
      let remote = this.#remote.get(server.key);
      if (!remote) this.#remote.set(server.key, (remote = new RemoteSyslog(server, this.#report)));
      remote.send(text, facility, severity, time, this.tag);
      return;
    }
    this.#relay ??= new SyslogRelay(this.#socketPath, this.#report);
    this.#relay.send(localSyslogLine(facility * 8 + severity, time, this.tag, text));
  }

  /** Remote clients are dropped (the configuration may have changed); the relay stays. */
  async reopen(): Promise<void> {
    const remote = [...this.#remote.values()];
    this.#remote.clear();
    await Promise.all(remote.map((r) => r.close()));
  }

  async close(): Promise<void> {
    await this.reopen();
    await this.#relay?.close();
    this.#relay = undefined;
  }
}
