import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Daemon } from '../../core/daemon.js';
import { XinetdError } from '../../core/errors.js';
import { defineInternalService } from '../../internal-services/define.js';
import { builtinPlugins } from '../../plugins/index.js';
import { ROOT, startDaemon } from '../helpers/daemon.js';
import { datagram, exchange, freePort } from '../helpers/net.js';

const QUOTE = 'Simplicity is prerequisite for reliability. (E. W. Dijkstra)\r\n';

test('a third-party internal service loaded with `plugins` from a config file serves stream and dgram', async (t) => {
  const port = await freePort();
  const pluginPath = join(ROOT, 'docs/examples/plugins/quote-service.js');
  const conf = readFileSync(join(ROOT, 'docs/examples/quote.conf'), 'utf8').replace('./plugins/quote-service.js', pluginPath);
  const d = await startDaemon(({ log }) => `${conf.replace('{\n', `{\n\tlog_type = FILE ${log}\n\tlog_on_success = PID HOST\n`)}
service quote
{
	id = quote-stream
	type = INTERNAL UNLISTED
	socket_type = stream
	wait = no
	port = ${port}
	bind = 127.0.0.1
}
service quote
{
	id = quote-dgram
	type = INTERNAL UNLISTED
	socket_type = dgram
	wait = yes
	port = ${port}
	bind = 127.0.0.1
}
`);
  t.after(() => d.stop());
  assert.equal((await exchange(port)).toString(), QUOTE);
  assert.equal((await datagram(port, 'x')).toString(), QUOTE);
  await d.waitForLog(/START: quote-stream pid=0 from=127\.0\.0\.1$/);
  await d.waitForLog(/START: quote-dgram pid=0 from=127\.0\.0\.1$/);
});

test('an unknown internal service is disabled by name and socket type (the id does not matter)', async (t) => {
  const port = await freePort();
  const d = await startDaemon(`service myecho\n{\n\tid = echo\n\ttype = INTERNAL UNLISTED\n\tsocket_type = stream\n\twait = no\n\tport = ${port}\n}\nservice quote\n{\n\ttype = INTERNAL UNLISTED\n\tsocket_type = dgram\n\twait = yes\n\tport = ${port}\n}\n`, { args: ['-stayalive'] });
  t.after(() => d.stop());
  await d.waitForMessage(/No such internal service: myecho\/stream - DISABLING/);
  await d.waitForMessage(/No such internal service: quote\/dgram - DISABLING/);
});

test('registering a (name, socket type) twice throws XI_ERR_INTERNAL_SERVICE_DUPLICATE', () => {
  const daemon = new Daemon({});
  for (const p of builtinPlugins()) daemon.use(p);
  const again = defineInternalService({ name: 'echo', dgram: () => undefined });
  assert.throws(() => daemon.use(again()), (e: unknown) => e instanceof XinetdError && e.code === 'XI_ERR_INTERNAL_SERVICE_DUPLICATE');
  // Another socket type of the same name is a different service.
  daemon.use(defineInternalService({ name: 'tcpmux', dgram: () => undefined })());
});
