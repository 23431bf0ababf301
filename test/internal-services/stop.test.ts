import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.js';
import { connect, readToEnd } from '../helpers/internal-services.js';
import { freePort } from '../helpers/net.js';

const svc = (name: string, port: number) => `service ${name}\n{\n\ttype = INTERNAL UNLISTED\n\tsocket_type = stream\n\twait = no\n\tport = ${port}\n\tbind = 127.0.0.1\n}\n`;

test('a reload that removes the service ends its in-process sessions; SIGTERM ends the others', async (t) => {
  const [a, b] = [await freePort(), await freePort()];
  const d = await startDaemon(({ log }) => `defaults\n{\n\tlog_type = FILE ${log}\n\tlog_on_success = PID EXIT\n}\n${svc('echo', a)}${svc('chargen', b)}`);
  t.after(() => d.stop());
  const echo = await connect(a);
  const chargen = await connect(b);
  await d.waitForLog(/START: chargen pid=0/);
  writeFileSync(join(d.dir, 'xinetd.conf'), svc('chargen', b));
  d.signal('SIGHUP');
  await readToEnd(echo);
  await d.waitForLog(/EXIT: echo status=0 pid=0/);
  assert.equal(chargen.destroyed, false);
  chargen.resume();
  d.signal('SIGTERM');
  await readToEnd(chargen, 10_000);
  await d.stop();
});
