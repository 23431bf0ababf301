import { join } from 'node:path';
import { ROOT } from './daemon.js';

export const HELLO = join(ROOT, 'test/fixtures/servers/hello.mjs');

/** A defaults entry logging FAIL/START with hosts to `log`. */
export function loggingDefaults(log: string, extra = ''): string {
  return `defaults\n{\n\tlog_type = FILE ${log}\n\tlog_on_success = PID HOST\n\tlog_on_failure = HOST\n${extra}}\n`;
}

/** An UNLISTED stream service running the hello fixture, plus extra attribute lines. */
export function helloService(id: string, port: number, extra = ''): string {
  return `service ${id}\n{\n\ttype = UNLISTED\n\tsocket_type = stream\n\tprotocol = tcp\n\twait = no\n\tuser = root\n\tport = ${port}\n` +
    `\tserver = ${process.execPath}\n\tserver_args = ${HELLO}\n${extra}}\n`;
}
