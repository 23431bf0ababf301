import type { XinetdPlugin } from '../core/plugin.js';
import internalServices from '../internal-services/index.js';
import access from './access/index.js';
import banner from './banner/index.js';
import env from './env/index.js';
import libwrap from './libwrap/index.js';
import redirect from './redirect/index.js';
import rpc from './rpc/index.js';
import limits from './limits/index.js';
import logging from './logging/index.js';
import sensor from './sensor/index.js';
import server from './server/index.js';

/**
 * The built-in plugins, in the order they are applied (before any configured plugin). Each
 * is registered exactly as a third-party plugin is.
 */
export interface BuiltinOptions {
  /** -syslog FACILITY for the daemon's own messages. */
  readonly syslogFacility?: string;
  /** Send the daemon's own messages to syslog (the default when detached without -filelog). */
  readonly useSyslogForDaemon?: boolean;
  /** The local syslog socket (default $XINETD_TS_SYSLOG_SOCKET, then /dev/log). */
  readonly syslogSocket?: string;
}

export function builtinPlugins(options: BuiltinOptions = {}): XinetdPlugin[] {
  const log = logging({ daemonToSyslog: options.useSyslogForDaemon, syslogFacility: options.syslogFacility, syslogSocket: options.syslogSocket });
  return [internalServices(), redirect(), rpc(), sensor(), access(), libwrap(), banner(), server(), env(), limits(), log];
}
