import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { Daemon } from '../../core/daemon.js';
import type { LaunchSpec } from '../../core/launch-spec.js';
import type { LaunchPlan, ResourceLimits } from '../../core/launcher/launch-plan.js';
import type { Launcher, RunningServer } from '../../core/launcher/launcher.js';
import { definePlugin } from '../../core/plugin.js';
import { takeDescriptor } from '../../core/accept/accepted-connection.js';
import { bytesFromText } from '../../core/raw-text.js';
import type { ServiceConfig } from '../../core/service-config.js';
import type { Session, SessionEnd } from '../../core/session.js';
import { serverArgv } from './argv.js';
import { defineServerAttributes, PLUGIN_NAME } from './attributes.js';

/** Spawned servers: owns server, server_args, user, group, groups, umask, nice, rlimit_*. */
export default definePlugin(() => ({
  name: PLUGIN_NAME,
  apply(daemon: Daemon) {
    const keys = defineServerAttributes(daemon.attributes, () => daemon.netdb);
    // Computed once per configuration generation; the per-connection path only reads it.
    const specs = new WeakMap<ServiceConfig, LaunchSpec>();

    const spawned = (service: ServiceConfig) => !service.types.has('INTERNAL') && !daemon.inProcessOwner(service);
    // xinetd's first check of an entry, before its port is looked up in /etc/services.
    daemon.hooks.checkServiceFirst.tap(PLUGIN_NAME, (service, report) => {
      if (spawned(service) && !service.values.get(keys.server)) report.error(`Must specify a server in ${service.id}`);
    });

    daemon.hooks.checkService.tap(PLUGIN_NAME, (service, report) => {
      if (service.types.has('INTERNAL') && service.flags.has('NAMEINARGS')) {
        return report.error(`Service ${service.name} is INTERNAL and has NAMEINARGS flag set`);
      }
      if (!spawned(service)) return;
      const v = service.values;
      const server = v.get(keys.server)!;
      if (!isAbsolute(server)) return report.error(`Server ${server} must be an absolute path`);
      try {
        if (!statSync(bytesFromText(server)).isFile()) return report.error(`Server ${server} is not a regular file`);
      } catch {
        return report.error(`Server ${server} is not executable`);
      }
      const userName = v.get(keys.user);
      if (userName === undefined) return report.error(`Service ${service.id} missing attribute user - DISABLING`);
      const user = daemon.netdb.user(userName);
      if (!user) return report.error(`Unknown user: ${userName}`);
      const groupName = v.get(keys.group);
      const group = groupName === undefined ? undefined : daemon.netdb.group(groupName);
      if (groupName !== undefined && !group) return report.error(`Unknown group: ${groupName}`);
      if (service.socketType === 'dgram' && !service.wait) {
        return report.error(`Service ${service.id} has socket_type dgram, but does not wait`);
      }
      const args = v.get(keys.serverArgs) ?? [];
      const nameInArgs = service.flags.has('NAMEINARGS');
      if (nameInArgs && args.length === 0) return report.error(`Service ${service.id} has NAMEINARGS but no server_args`);
      const rlimits: Record<string, number | bigint> = {};
      for (const [name, key] of Object.entries(keys.rlimits)) {
        const n = v.get(key);
        if (n !== undefined && n !== 0) rlimits[name] = n;
      }
      // Like xinetd, only a root daemon changes the group and supplementary groups; setuid is
      // always attempted (so a non-root daemon can run servers as its own user).
      const root = process.getuid?.() === 0;
      const groups = v.get(keys.groups) ? { initgroups: user.name } : [];
      specs.set(service, Object.freeze({
        server,
        argv: serverArgv(server, args, nameInArgs),
        uid: user.uid,
        gid: root ? group?.gid ?? user.gid : undefined,
        groups: root ? groups : undefined,
        umask: v.get(keys.umask),
        // xinetd passes any increment to nice(2), which stops at 19: one beyond the range's width (40) does no more.
        nice: clampNice(v.get(keys.nice)),
        rlimits: rlimits as ResourceLimits,
      }));
    });

    daemon.hooks.prepare.tap({ name: PLUGIN_NAME, applies: (s) => specs.has(s) }, (spec, conn) => {
      const base = specs.get(conn.service);
      return base ? { ...spec, ...base, env: spec.env } : spec;
    });

    // Callback style: with the launcher up, a start is sent without a promise on the way.
    daemon.hooks.launch.tapAsync(PLUGIN_NAME, (conn, spec, callback) => {
      if (!spec.server || !spec.argv || conn.datagram) return callback(null);
      const plan: LaunchPlan = {
        path: spec.server,
        argv: spec.argv,
        env: spec.env ?? [],
        uid: spec.uid,
        gid: spec.gid,
        groups: spec.groups,
        umask: spec.umask,
        nice: spec.nice,
        rlimits: spec.rlimits,
      };
      const started = (running: RunningServer): void => {
        const done = running.exited.then((exit): SessionEnd => {
          // xinetd's `%m`: `<strerror> (errno = N)`.
          const errno = exit.errno !== undefined ? ` (errno = ${exit.errno})` : '';
          if (exit.execError) daemon.message('error', `execv( ${plan.path} ) failed: ${exit.execError}${errno}`);
          // The launcher reports `setuid: <error>`; xinetd's child logs `setuid failed: <error>`,
          // and `getpwuid( UID ) (service=ID) failed: <error>` for groups = yes without a passwd entry.
          if (exit.setupError) {
            const what = exit.setupError.startsWith('getpwuid: ') ? `getpwuid( ${plan.uid} ) (service=${conn.service.id})` : '$1';
            daemon.message('error', `${exit.setupError.replace(/^(\w+): /, `${what} failed: `)}${errno}`);
          }
          return exit.signal !== undefined ? { signal: exit.signal } : { status: exit.status ?? 0 };
        });
        const session: Session = { pid: running.pid, done, stop: (signal) => running.kill(signal ?? 'SIGTERM') };
        callback(null, session);
      };
      const failed = (error: Error): void => callback(error);
      if (conn.waiting) {
        conn.waiting.launch(plan).then(started, failed);
        return;
      }
      const start = (launcher: Launcher): void => {
        const fd = takeDescriptor(conn);
        const running = fd !== undefined ? launcher.launchWithDescriptor(fd, plan) : conn.socket ? launcher.launchWithSocket(conn.socket, plan) : undefined;
        if (!running) return callback(null);
        running.then(started, failed);
      };
      const now = daemon.launcherNow();
      if (now) return start(now);
      daemon.launcher().then((launcher) => {
        try {
          start(launcher);
        } catch (error) {
          failed(error as Error);
        }
      }, failed);
    });
  },
}));

/** A nice increment as the launcher takes it: beyond ±40 the kernel's clamp gives the same priority. */
function clampNice(nice: number | undefined): number | undefined {
  return nice === undefined ? undefined : Math.max(-40, Math.min(40, nice));
}
