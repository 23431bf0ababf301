import type { Connection } from '../../core/connection.js';
import type { Daemon } from '../../core/daemon.js';
import { explainNote, explaining } from '../../core/explain-command.js';
import { AuthorizeStage } from '../../core/hooks.js';
import { definePlugin } from '../../core/plugin.js';
import { readRegularFileSync } from '../../core/regular-file.js';
import { refuse, type Refusal } from '../../core/refusal.js';
import type { ServiceConfig } from '../../core/service-config.js';
import { nameResolverFor } from '../access/reverse-lookup.js';
import { libwrapDaemonName } from './daemon-name.js';
import { parseHostsTable, type HostsDiagnostic, type HostsTable } from './hosts-files.js';
import { hostsAccess, type WrapVerdict } from './hosts-match.js';
import { PatternFiles, wrapRequest } from './request.js';
import { RECHECK_MS, WatchedFile, type FileState } from './watched-file.js';

export const PLUGIN_NAME = 'xinetd-ts:libwrap';

export interface LibwrapOptions {
  /** Default `XINETD_TS_HOSTS_ALLOW`, else /etc/hosts.allow. */
  readonly hostsAllow?: string;
  readonly hostsDeny?: string;
}

/** TCP Wrappers (reference 18): hosts.allow / hosts.deny, checked after the address lists. */
export default definePlugin((options: LibwrapOptions = {}) => ({
  name: PLUGIN_NAME,
  apply(daemon: Daemon) {
    daemon.attributes.defineFlag({ name: 'NOLIBWRAP', owner: PLUGIN_NAME, description: 'Do not check /etc/hosts.allow and /etc/hosts.deny for this service.' });
    const libwrap = daemon.attributes.define({
      name: 'libwrap', owner: PLUGIN_NAME, arity: 1, where: 'service',
      parse: (v) => v[0]!,
      doc: { values: 'daemon name', default: 'service name (internal, redirect) or server basename', description: 'The daemon name looked up in hosts.allow / hosts.deny.' },
    });
    const allowPath = options.hostsAllow ?? process.env.XINETD_TS_HOSTS_ALLOW ?? '/etc/hosts.allow';
    const denyPath = options.hostsDeny ?? process.env.XINETD_TS_HOSTS_DENY ?? '/etc/hosts.deny';
    const allow = new WatchedFile(allowPath, (t) => parseHostsTable(t, allowPath));
    const deny = new WatchedFile(denyPath, (t) => parseHostsTable(t, denyPath));
    const names = nameResolverFor(daemon);
    const patternFiles = new PatternFiles();
    const daemonNames = new WeakMap<ServiceConfig, string>();
    // Each problem in the files is reported once (check time or when a changed file is read).
    const reported = new Set<string>();
    const fresh = (d: HostsDiagnostic): boolean => {
      const key = `${d.at.file}:${d.at.line}: ${d.message}`;
      if (reported.has(key)) return false;
      if (reported.size > 1000) reported.clear();
      reported.add(key);
      return true;
    };

    // Read once per configuration pass (a reload checks every service within a second), not per service.
    const checkTime = new Map<string, { at: number; table: HostsTable | undefined }>();
    const checkTimeTable = (path: string): HostsTable | undefined => {
      const now = performance.now();
      const hit = checkTime.get(path);
      if (hit && now - hit.at < RECHECK_MS) return hit.table;
      let table: HostsTable | undefined;
      try {
        table = parseHostsTable(readRegularFileSync(path).toString('utf8'), path);
      } catch {
        table = undefined;
      }
      checkTime.set(path, { at: now, table });
      return table;
    };

    daemon.hooks.checkService.tap(PLUGIN_NAME, (service, report) => {
      // tcp RPC services and inetd.conf servers carry NOLIBWRAP from the configuration, as in
      // xinetd; inetd.conf internal entries do not, and are checked.
      if (service.flags.has('NOLIBWRAP')) return;
      daemonNames.set(service, libwrapDaemonName(service, service.values.get(libwrap), daemon.inProcessOwner(service) !== undefined));
      for (const path of [allowPath, denyPath]) {
        const table = checkTimeTable(path);
        if (!table) continue; // missing: empty, as in tcpd; unreadable: refused and logged per connection
        for (const d of table.diagnostics) if (fresh(d)) report.warn(`libwrap: ${d.message}`, d.at);
      }
    });

    const tableOf = (state: FileState<HostsTable>): HostsTable | string => {
      if (!state.ok) {
        if (state.fresh) daemon.message('error', `libwrap: ${state.error}; refusing connections until it can be read`);
        return state.error;
      }
      if (state.fresh) for (const d of state.value.diagnostics) if (fresh(d)) daemon.message('warning', `libwrap: ${d.message}`, d.at);
      return state.value;
    };
    // No I/O while the last check is under a second old (WatchedFile.cached).
    const table = (file: WatchedFile<HostsTable>): HostsTable | string | Promise<HostsTable | string> => {
      const state = file.cached();
      return state ? tableOf(state) : file.current().then(tableOf);
    };

    type Done = (error: Error | null, refusal?: Refusal | void) => void;
    const judge = (conn: Connection, name: string, verdict: WrapVerdict): Refusal | void => {
      if (verdict.allowed) return explainNote(conn, () => `libwrap=${name}: ${verdict.reason}`);
      daemon.message('info', `libwrap refused connection to ${conn.service.id} (libwrap=${name}) from ${conn.peer?.address ?? '<no address>'}`);
      return refuse('libwrap', `libwrap=${name}: ${verdict.reason}`);
    };
    const check = (conn: Connection, name: string, a: HostsTable | string, d: HostsTable | string, callback: Done): void => {
      if (typeof a === 'string' || typeof d === 'string') return callback(null, refuse('libwrap', typeof a === 'string' ? a : (d as string)));
      // No rules at all (Debian's stock files): allowed, with nothing to match.
      if (a.rules.length === 0 && d.rules.length === 0) {
        if (explaining(conn)) explainNote(conn, `libwrap=${name}: no rule in ${a.file} or ${d.file} matches`);
        return callback(null);
      }
      hostsAccess(a, d, wrapRequest(name, conn.peer?.address, () => conn.local?.address, names, patternFiles))
        .then((verdict) => callback(null, judge(conn, name, verdict)), (error: Error) => callback(error));
    };

    // Callback style: with both files cached (checked at most once a second) and no rule that
    // needs a lookup, the answer is synchronous.
    daemon.hooks.authorize.tapAsync({ name: PLUGIN_NAME, stage: AuthorizeStage.LIBWRAP, applies: (s) => daemonNames.get(s) !== undefined }, (conn: Connection, callback: Done) => {
      const name = daemonNames.get(conn.service);
      if (name === undefined) return callback(null);
      const a = table(allow);
      const d = table(deny);
      if (a instanceof Promise || d instanceof Promise) {
        Promise.all([a, d]).then(([ta, td]) => check(conn, name, ta, td, callback), (error: Error) => callback(error));
        return;
      }
      check(conn, name, a, d, callback);
    });
  },
}));
