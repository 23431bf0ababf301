import type { ServiceConfig } from '../../core/service-config.js';
import type { LoggingKeys, LogType, SyslogServer } from './attributes.js';
import type { LogFlags } from './format.js';
import { RepeatedStart } from './repeated-start.js';

/** Where one service's records go, computed once per configuration generation. */
export interface ServiceRoute {
  readonly flags: LogFlags;
  readonly file?: { readonly path: string; readonly soft?: number; readonly hard?: number; readonly label: string };
  readonly syslog?: { readonly facility: number; readonly level: number; readonly server: SyslogServer | undefined };
  readonly json?: string;
  /** The last START record's text, for the next identical one (see RepeatedStart). */
  readonly lastStart: RepeatedStart;
}

export function serviceRoute(service: ServiceConfig, keys: LoggingKeys): ServiceRoute | undefined {
  const v = service.values;
  const type: LogType | undefined = v.get(keys.logType);
  const json = v.get(keys.logJson);
  if (!type && !json) return undefined;
  const flags: LogFlags = { success: v.get(keys.success)!, failure: v.get(keys.failure)! };
  return {
    flags,
    // A FILE written in defaults is xinetd's "common" log: one file shared by every service.
    file: type?.kind === 'file' ? { path: type.path, soft: type.soft, hard: type.hard, label: v.inherited(keys.logType) ? 'common' : service.id } : undefined,
    syslog: type?.kind === 'syslog' ? { facility: type.facility, level: type.level, server: v.get(keys.syslogServer) } : undefined,
    json,
    lastStart: new RepeatedStart(),
  };
}
