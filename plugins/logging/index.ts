import { open } from 'node:fs/promises';
import type { Daemon } from '../../core/daemon.js';
import { definePlugin } from '../../core/plugin.js';
import type { ServiceConfig } from '../../core/service-config.js';
import type { ServiceState } from '../../core/service-state.js';
import { defineLoggingAttributes, PLUGIN_NAME } from './attributes.js';
import { daemonToSyslog } from './daemon-syslog.js';
import { FileSink, OPEN_FOR_APPEND } from '../../core/log-file/file-sink.js';
import { fileTimestamp, formatRecord } from './format.js';
import { applyIdent } from './ident/index.js';
import { jsonRecord } from './json-record.js';
import { RepeatedDgramFail } from './repeated-dgram-fail.js';
import { serviceRoute, type ServiceRoute } from './service-route.js';
import { facilityCode } from './syslog-names.js';
import { SyslogSinks } from './syslog-sink.js';

export interface LoggingOptions {
  /** Send the daemon's own messages to syslog (xinetd's default when detached without -filelog). */
  readonly daemonToSyslog?: boolean;
  /** -syslog FACILITY for the daemon's own messages (default `daemon`). */
  readonly syslogFacility?: string;
  /** The local syslog socket; default $XINETD_TS_SYSLOG_SOCKET, then /dev/log. */
  readonly syslogSocket?: string;
}

/**
 * Service records (START, EXIT, FAIL, USERID, NOID, TRAFFIC) in xinetd's format to FILE logs
 * and syslog, an optional JSON-lines log, the daemon's own messages to syslog, and USERID /
 * IDONLY. Files are reopened on every reload (rotation = rename + SIGHUP, as with xinetd).
 */
export default definePlugin<LoggingOptions>((options = {}) => ({
  name: PLUGIN_NAME,
  apply(daemon: Daemon) {
    const keys = defineLoggingAttributes(daemon.attributes);
    const facility = facilityCode(options.syslogFacility ?? 'daemon');
    if (facility === undefined) throw new Error(`Bad syslog facility: ${options.syslogFacility}`);
    const report = (level: Parameters<Daemon['message']>[0], text: string) => daemon.message(level, text);
    const syslog = new SyslogSinks(options.syslogSocket ?? process.env.XINETD_TS_SYSLOG_SOCKET ?? '/dev/log', report);
    const files = new Map<string, FileSink>();
    const routes = new WeakMap<ServiceConfig, ServiceRoute | undefined>();
    // Per service, not per configuration: xinetd's memory survives a reload that readjusts the
    // service (and starts empty for a service started anew).
    const dgramFails = new WeakMap<ServiceState, RepeatedDgramFail>();
    const lastDgramFail = (state: ServiceState): RepeatedDgramFail => {
      let last = dgramFails.get(state);
      if (!last) dgramFails.set(state, (last = new RepeatedDgramFail()));
      return last;
    };
    const file = (path: string, caps?: { soft?: number; hard?: number; label: string }) => {
      let sink = files.get(path);
      if (!sink) files.set(path, (sink = new FileSink({ path, label: caps?.label ?? path, soft: caps?.soft, hard: caps?.hard, report })));
      return sink;
    };

    daemon.hooks.checkService.tap(PLUGIN_NAME, (service) => void routes.set(service, serviceRoute(service, keys)));
    daemon.hooks.log.tap(PLUGIN_NAME, (event) => {
      if (event.kind === 'daemon') {
        const common = daemon.config?.defaults.get(keys.logJson);
        if (common) file(common).write(jsonRecord(event));
        return;
      }
      // The service's configuration now (a reload replaces it), as xinetd logs a server started
      // before a reload with the log settings after it.
      const route = routes.get(event.conn.state.config);
      if (!route) return;
      if (route.json) file(route.json).write(jsonRecord(event));
      if (!route.file && !route.syslog) return;
      // After the JSON log, which keeps every record: the silencing is xinetd's, for its records.
      if (event.kind === 'fail' && lastDgramFail(event.conn.state).silences(event)) return;
      let line: string | undefined;
      let fileText: string;
      const last = route.lastStart;
      if (last.repeats(event)) {
        line = last.line;
        fileText = last.fileText;
      } else {
        line = formatRecord(event, route.flags);
        fileText = line && route.file ? `${fileTimestamp(event.time)}: ${line}\n` : '';
        last.remember(event, line, fileText);
      }
      if (!line) return;
      if (route.file) file(route.file.path, route.file).write(fileText);
      if (route.syslog) syslog.send({ facility: route.syslog.facility, severity: route.syslog.level, text: line, time: event.time }, route.syslog.server);
    });
    if (options.daemonToSyslog) {
      daemon.hooks.log.tap(`${PLUGIN_NAME}:daemon-syslog`, daemonToSyslog(syslog, facility, () => daemon.config?.defaults.get(keys.syslogServer)));
    }
    applyIdent(daemon, keys);

    const reopen = async () => {
      syslog.tag = daemon.config?.defaults.get(keys.syslogTag) ?? 'xinetd';
      const open = [...files.values()];
      files.clear();
      await Promise.all([...open.map((f) => f.close()), syslog.reopen()]);
    };
    // Every FILE log exists once its service is running, as with xinetd, even before its first
    // record: a log watcher (fail2ban) refuses to start on a missing file. A file that cannot be
    // created now is reported by its sink at the first record.
    const createFiles = async () => {
      const paths = new Set<string>();
      for (const service of daemon.config?.services ?? []) {
        const path = routes.get(service)?.file?.path;
        if (path) paths.add(path);
      }
      // Non-blocking: a FIFO with no reader is left to its sink (this open would wait for one,
      // and the start or the reload with it).
      await Promise.all([...paths].map((path) => open(path, OPEN_FOR_APPEND, 0o644).then((h) => h.close(), () => undefined)));
    };
    daemon.hooks.ready.tapPromise(PLUGIN_NAME, async () => {
      await reopen();
      await createFiles();
    });
    daemon.hooks.reloaded.tapPromise(PLUGIN_NAME, async () => {
      await reopen();
      await createFiles();
    });
    daemon.hooks.close.tapPromise(PLUGIN_NAME, async () => {
      await reopen();
      await syslog.close();
    });
  },
}));
