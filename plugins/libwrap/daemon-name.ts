import { basename } from 'node:path';
import type { AttributeKey } from '../../core/config/attributes.js';
import type { ServiceConfig } from '../../core/service-config.js';

// Owned by the server and redirect plugins; read here by name only.
const SERVER = { name: 'server' } as AttributeKey<string>;
const SERVER_ARGS = { name: 'server_args' } as AttributeKey<readonly string[]>;
const REDIRECT = { name: 'redirect' } as AttributeKey<unknown>;

/**
 * The daemon name hosts.allow / hosts.deny see (reference 18.3): `libwrap = NAME`; the service
 * name for internal, sensor, redirect and other in-daemon services; the basename of argv[0]
 * for NAMEINARGS; else the basename of `server`.
 */
export function libwrapDaemonName(service: ServiceConfig, explicit: string | undefined, servedInDaemon: boolean): string {
  if (explicit) return explicit;
  const v = service.values;
  if (servedInDaemon || service.types.has('INTERNAL') || service.flags.has('SENSOR') || v.has(REDIRECT)) return service.name;
  const args = v.get(SERVER_ARGS);
  if (service.flags.has('NAMEINARGS') && args?.[0]) return basename(args[0]);
  const server = v.get(SERVER);
  return server ? basename(server) : service.name;
}
