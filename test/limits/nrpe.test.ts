/**
 * The seed article's nrpe story, tried as a new user would: `instances = 60` in defaults,
 * `instances = 120` in the service, 121 slow clients arriving at once. The server is /bin/cat,
 * which holds each connection until its client closes.
 */
import { test } from 'node:test';
import { waitFor } from '../helpers/wait.js';
import assert from 'node:assert/strict';
import { startDaemon } from '../helpers/daemon.js';
import { allZero, connectHeld, waitForDump, type Held } from '../helpers/limits-daemon.js';
import { freePort } from '../helpers/net.js';

test('nrpe: instances = 120 overrides the defaults\' 60; of 121 slow clients 120 are served, one gets service_limit', async (t) => {
  const port = await freePort();
  const d = await startDaemon(({ log }) => `
defaults
{
	log_type        = FILE ${log}
	log_on_success  = PID HOST EXIT
	log_on_failure  = HOST
	instances       = 60
}

# default: off
# description: NRPE (Nagios Remote Plugin Executor), as in the article (cat stands in for nrpe)
service nrpe
{
	disable         = no
	flags           = REUSE
	type            = UNLISTED
	port            = ${port}
	socket_type     = stream
	wait            = no
	user            = nobody
	server          = /bin/cat
	instances       = 120
	# 121 connects within one second would trip the default cps (50 10) first.
	cps             = 200 10
}
`);
  t.after(() => d.stop());

  const clients = await Promise.all(Array.from({ length: 121 }, () => connectHeld(port)));
  t.after(() => clients.forEach((c) => c.socket.destroy()));
  const outcome = async (c: Held, i: number): Promise<'served' | 'refused'> => {
    c.socket.write(`ping ${i}\n`);
    await Promise.race([c.expect(new RegExp(`^ping ${i}\\n$`), 10_000), c.closed]);
    return c.text() === `ping ${i}\n` ? 'served' : 'refused';
  };
  const results = await Promise.all(clients.map(outcome));
  assert.equal(results.filter((r) => r === 'served').length, 120);
  assert.equal(results.filter((r) => r === 'refused').length, 1);
  const refused = clients[results.indexOf('refused')]!;
  assert.equal(refused.text(), '', 'a refused client gets nothing but the close');

  await d.waitForLog(/FAIL: nrpe service_limit from=::ffff:127\.0\.0\.1$/);
  // Records are written in batches: wait for all 120 START lines, then check there are no more.
  const lines = await waitFor('120 START records', async () => {
    const all = await d.logLines();
    return all.filter((l) => / START: nrpe /.test(l)).length >= 120 ? all : undefined;
  });
  assert.equal(lines.filter((l) => / FAIL: /.test(l)).length, 1);
  assert.equal(lines.filter((l) => / START: nrpe /.test(l)).length, 120);

  const full = await waitForDump(d, 'nrpe at 120', (s) => s.services.find((x) => x.name === 'nrpe')?.running === 120);
  assert.equal(full.runningServers, 120);
  assert.equal(full.services[0]!.sources.get('127.0.0.1'), 120);

  for (const c of clients) c.socket.end();
  await waitForDump(d, 'every count back to zero', allZero);
});
