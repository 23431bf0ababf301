import type { Daemon } from '../core/daemon.js';

/** `services` / `show avail`: one `name protocol port` line per active service (xinetd's format). */
export function availableServices(daemon: Daemon): string {
  let out = '';
  for (const svc of daemon.activeServices()) {
    const c = svc.state.config;
    out += `${c.name} ${c.protocol} ${svc.port}\n`;
  }
  return out;
}

/** `servers` / `show run`: one `id pid=PID` line per running server (pid 0: served in-process). */
export function runningServers(daemon: Daemon): string {
  let out = '';
  for (const svc of daemon.activeServices()) {
    for (const session of svc.sessions.keys()) out += `${svc.state.config.id} pid=${session.pid}\n`;
  }
  return out;
}
