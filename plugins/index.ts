import type { XinetdPlugin } from '../core/plugin.js';
import env from './env/index.js';
import logging from './logging/index.js';
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
}

export function builtinPlugins(_options: BuiltinOptions = {}): XinetdPlugin[] {
  return [server(), env(), logging()];
}
