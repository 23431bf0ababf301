// A plugin bug that nothing catches ends the daemon (as it would end any Node process), but the
// cause is logged where the daemon's messages go, the pid file is removed and servers get
// SIGTERM, as on SIGTERM: a detached daemon has no stderr to print a stack on.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon, tempDir } from '../helpers/daemon.js';
import { exitOf } from '../helpers/e2e.js';
import { exchange, freePort } from '../helpers/net.js';

/** Breaks on the first connection to a service whose id starts with `crash`, out of any hook's reach. */
const CRASH_PLUGIN = (how: 'throw' | 'reject') => `export default () => ({
  name: 'test-crash',
  apply(daemon) {
    daemon.hooks.authorize.tap('test-crash', (conn) => {
      if (conn.service.id.startsWith('crash')) {
        ${how === 'throw' ? "setTimeout(() => { throw new Error('plugin bug on purpose'); }, 0);" : "Promise.reject(new TypeError('forgotten promise'));"}
      }
      return undefined;
    });
  },
});
`;

const services = (crash: number, fine: number) => [1, 2].map((i) => `service daytime
{
	id          = ${i === 1 ? 'crash' : 'fine'}
	type        = INTERNAL UNLISTED
	socket_type = stream
	wait        = no
	port        = ${i === 1 ? crash : fine}
}
`).join('');

for (const how of ['throw', 'reject'] as const) {
  test(`an uncaught ${how === 'throw' ? 'exception' : 'promise rejection'} in a plugin is logged (CRITICAL, with where), the pid file removed, exit status 1`, async () => {
    const [crash, fine] = [await freePort(), await freePort()];
    const pidfile = join(tempDir(), 'xinetd.pid');
    const d = await startDaemon(
      (p) => `defaults\n{\n\tplugins = ${p.dir}/crash.mjs\n}\n${services(crash, fine)}`,
      { files: { 'crash.mjs': CRASH_PLUGIN(how) }, args: ['-pidfile', pidfile] },
    );
    try {
      assert.equal(existsSync(pidfile), true);
      assert.match((await exchange(fine)).toString(), /\d{4}/);
      await exchange(crash).catch(() => Buffer.alloc(0));
      const { code } = await exitOf(d.child, 10_000);
      assert.equal(code, 1);
      const text = readFileSync(d.messages, 'utf8');
      const expected = how === 'throw' ? /CRITICAL: uncaught error, exiting: Error: plugin bug on purpose \(at .*crash\.mjs:\d+:\d+\)+$/m : /CRITICAL: uncaught error, exiting: TypeError: forgotten promise \(at .*crash\.mjs:\d+:\d+\)+$/m;
      assert.match(text, expected);
      assert.equal(existsSync(pidfile), false, 'pid file removed');
    } finally {
      await d.stop();
    }
  });
}
