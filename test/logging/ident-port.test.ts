/**
 * The ident service itself (tcp port 113) logs no USERID: xinetd clears the flag from both masks
 * with a warning naming the service's id, a message test/compat/real-world.test.ts compares.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkJson } from '../helpers/cli.js';
import { tempDir } from '../helpers/daemon.js';

test('USERID is cleared, with a warning per mask, from a tcp service on port 113 only', async () => {
  const conf = join(tempDir(), 'xinetd.conf');
  const entry = (name: string, lines: readonly string[]) => `service ${name}\n{\n${lines.map((l) => `\t${l}\n`).join('')}}\n`;
  const server = ['wait = no', 'user = nobody', 'server = /bin/cat'];
  writeFileSync(conf, 'defaults\n{\n\tlog_on_failure = HOST\n}\n' +
    entry('auth', ['id = identd', 'socket_type = stream', ...server, 'log_on_success += USERID', 'log_on_failure += USERID']) +
    entry('ident-udp', ['type = UNLISTED', 'port = 113', 'protocol = udp', 'wait = yes', 'user = nobody', 'server = /bin/cat', 'log_on_success += USERID']) +
    entry('elsewhere', ['type = UNLISTED', 'port = 7113', 'socket_type = stream', ...server, 'log_on_failure += USERID']));
  const { json } = await checkJson(conf);
  assert.deepEqual(json.diagnostics.filter((d) => d.message.includes('USERID')).map((d) => `${d.level} ${d.message} ${d.at?.line}`), [
    'warning identd service: clearing USERID option from log_on_success 5',
    'warning identd service: clearing USERID option from log_on_failure 5',
  ]);
  assert.deepEqual(json.services.map((s) => `${s.id} ${s.status}`), ['identd active', 'ident-udp active', 'elsewhere active']);
});
