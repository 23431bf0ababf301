/** Configuration snippets shared by the limits tests (classic xinetd.conf syntax). */
import { join } from 'node:path';
import { ROOT } from '../helpers/daemon.js';

/** The test plugin serving `hold*` services inside the daemon (see fixtures/hold-plugin.ts). */
export const HOLD_PLUGIN = join(ROOT, 'dist/test/limits/fixtures/hold-plugin.js');

const body = (lines: readonly string[]) => lines.map((l) => `\t${l}\n`).join('');

/** defaults logging START/EXIT (with PID and HOST) and FAIL (with HOST), loading the hold plugin. */
export const defaults = (log: string, extra = '') =>
  `defaults\n{\n\tlog_type = FILE ${log}\n\tlog_on_success = PID HOST EXIT\n\tlog_on_failure = HOST\n\tplugins = ${HOLD_PLUGIN}\n${extra}\n}\n`;

/** An in-process stream service of the hold plugin: echoes; holds its descriptor until the client closes. */
export const hold = (name: string, port: number, lines: readonly string[] = []) =>
  `service ${name}\n{\n${body(['type = UNLISTED', 'socket_type = stream', 'protocol = tcp', 'wait = no', `port = ${port}`, ...lines])}}\n`;

/** A spawned-server stream service (user nobody). */
export const spawned = (name: string, port: number, server: string, lines: readonly string[] = []) =>
  `service ${name}\n{\n${body(['type = UNLISTED', 'socket_type = stream', 'protocol = tcp', 'wait = no', 'user = nobody', `port = ${port}`, `server = ${server}`, ...lines])}}\n`;

/** A datagram service on 127.0.0.1 (in-process hold service, or a spawned server with `server = ...`). */
export const holdDgram = (name: string, port: number, lines: readonly string[] = []) =>
  `service ${name}\n{\n${body(['type = UNLISTED', 'socket_type = dgram', 'protocol = udp', 'wait = yes', `port = ${port}`, 'bind = 127.0.0.1', ...lines])}}\n`;
