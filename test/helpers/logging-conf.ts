import { join } from 'node:path';
import { ROOT } from './daemon.js';

/** A spawned TCP service on loopback whose server exits with status 0 (or `args`). */
export function tcpService(id: string, port: number, lines: readonly string[] = [], args = 'status 0'): string {
  return [
    `service ${id}`,
    '{',
    '\ttype = UNLISTED',
    '\tsocket_type = stream',
    '\tprotocol = tcp',
    '\twait = no',
    '\tuser = root',
    `\tport = ${port}`,
    `\tserver = ${join(ROOT, 'test/fixtures/servers/exit-with.sh')}`,
    `\tserver_args = ${args}`,
    ...lines.map((l) => `\t${l}`),
    '}',
    '',
  ].join('\n');
}

/**
 * A plugin the tests load with `plugins = ./refuse.mjs`: refuses (code `address`) every
 * connection to services whose id starts with `deny`, the way only_from does.
 */
export const REFUSE_PLUGIN = `export default () => ({
  name: 'test-refuse',
  apply(daemon) {
    daemon.hooks.authorize.tapPromise('test-refuse', async (conn) => (conn.service.id.startsWith('deny') ? { code: 'address', detail: 'test rule' } : undefined));
  },
});
`;
