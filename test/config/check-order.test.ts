/**
 * xinetd's messages about the entries it drops, in its order (test/compat/real-world.test.ts met
 * these): every entry dropped while reading (`removing NAME`, but for the defaults' `disabled`
 * list, which removes silently) before any entry is checked as a whole, and within that check, a
 * missing server before a port /etc/services does not know.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Daemon } from '../../core/daemon.js';
import { builtinPlugins } from '../../plugins/index.js';
import { tempDir } from '../helpers/daemon.js';

const service = (name: string, lines: readonly string[]) => `service ${name}\n{\n${lines.map((l) => `\t${l}\n`).join('')}}\n`;
const unlisted = (port: number) => ['type = UNLISTED', `port = ${port}`, 'socket_type = stream', 'wait = no', 'user = nobody'];

/** The messages of resolving `text` as the daemon does, without locations. */
async function messagesOf(text: string): Promise<string[]> {
  const conf = join(tempDir(), 'xinetd.conf');
  writeFileSync(conf, text);
  const daemon = new Daemon({ configFile: conf });
  for (const plugin of builtinPlugins()) daemon.use(plugin);
  return (await daemon.loadConfig()).diagnostics.map((d) => d.message);
}

describe('the messages about dropped entries, in xinetd\'s order', () => {
  it('every entry dropped while reading is removed before the first whole-entry check', async () => {
    const messages = await messagesOf(
      service('early', unlisted(7201)) +
      service('late', [...unlisted(7202), 'server = /bin/cat', 'umask = 999']) +
      // A value error an entry's later `disable = no` forgives (xinetd): checked as a whole then.
      service('forgiven', [...unlisted(7203), 'server = /no/such/server', 'disable = no']),
    );
    assert.deepEqual(messages, [
      'umask argument is invalid.',
      'Error parsing attribute umask - DISABLING SERVICE',
      'Server /no/such/server is not executable',
      'Error parsing attribute server - DISABLING SERVICE',
      'removing late',
      'Must specify a server in early',
      'Must specify a server in forgiven',
    ]);
  });

  it('an entry the defaults\' `disabled` names goes silently; one `enabled` leaves out is `removing`', async () => {
    const messages = await messagesOf('defaults\n{\n\tdisabled = off broken\n\tenabled = on off broken\n}\n' +
      service('on', [...unlisted(7204), 'server = /bin/cat']) +
      service('off', [...unlisted(7205), 'server = /bin/cat']) +
      service('other', [...unlisted(7206), 'server = /bin/cat']) +
      // A value error is `removing` whatever the lists say.
      service('broken', [...unlisted(7207), 'server = /bin/cat', 'nice = high']));
    assert.deepEqual(messages, ['Error parsing: high', 'Error parsing attribute nice - DISABLING SERVICE', 'removing other', 'removing broken']);
  });

  it('a missing server is reported before a port /etc/services does not know', async () => {
    const messages = await messagesOf(
      service('no-such-service-name', ['port = 901', 'socket_type = stream', 'wait = no', 'user = nobody']) +
      service('no-port-either', ['socket_type = stream', 'wait = no', 'user = nobody']) +
      service('no-such-service-too', ['port = 902', 'socket_type = stream', 'wait = no', 'user = nobody', 'server = /bin/cat']) +
      service('unlisted-no-port', ['type = UNLISTED', 'socket_type = stream', 'wait = no', 'user = nobody']),
    );
    assert.deepEqual(messages, [
      'Must specify a server in no-such-service-name',
      'Must specify a server in no-port-either',
      'service/protocol combination not in /etc/services: no-such-service-too/tcp',
      'Must specify a server in unlisted-no-port',
    ]);
  });
});
