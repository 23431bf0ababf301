import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SharedSets } from '../../core/config/shared-sets.js';
import { Daemon } from '../../core/daemon.js';
import { builtinPlugins } from '../../plugins/index.js';
import { tempDir } from '../helpers/daemon.js';

describe('shared sets', () => {
  it('gives equal Sets of strings under one kind one object, in their order', () => {
    const sets = new SharedSets();
    const first = new Set(['PID', 'HOST']);
    assert.equal(sets.share('log_on_success', new Set(['PID', 'HOST'])), sets.share('log_on_success', first));
    assert.notEqual(sets.share('log_on_success', new Set(['HOST', 'PID'])), first);
    assert.notEqual(sets.share('log_on_failure', new Set(['PID', 'HOST'])), first);
  });

  it('leaves everything else alone', () => {
    const sets = new SharedSets();
    const numbers = new Set([1, 2]);
    sets.share('a', new Set([1, 2]));
    assert.equal(sets.share('a', numbers), numbers);
    const list = ['x'];
    assert.equal(sets.share('b', list), list);
  });

  it('a resolved configuration keeps one Set per distinct value, with the values unchanged', async () => {
    const conf = join(tempDir(), 'xinetd.conf');
    const service = (name: string, port: number, extra = '') =>
      `service ${name}\n{\n\ttype = UNLISTED\n\tsocket_type = stream\n\twait = no\n\tbind = 127.0.0.1\n\tport = ${port}\n\tuser = root\n\tserver = /bin/true\n${extra}}\n`;
    writeFileSync(conf, [
      'defaults\n{\n\tlog_on_success = PID HOST\n}\n',
      service('a', 40001),
      service('b', 40002),
      service('c', 40003, '\tlog_on_success += EXIT\n'),
    ].join(''));
    const daemon = new Daemon({ configFile: conf });
    for (const plugin of builtinPlugins()) daemon.use(plugin);
    const config = await daemon.loadConfig();
    assert.deepEqual(config.diagnostics.map((d) => d.message), []);
    const [a, b, c] = config.services;
    const success = { name: 'log_on_success' };
    assert.deepEqual([...a!.values.get<ReadonlySet<string>>(success)!], ['PID', 'HOST']);
    assert.equal(a!.values.get(success), b!.values.get(success));
    assert.equal(a!.types, b!.types);
    assert.deepEqual([...c!.values.get<ReadonlySet<string>>(success)!], ['PID', 'HOST', 'EXIT']);
    assert.ok(a!.values.inherited(success) && b!.values.inherited(success) && !c!.values.inherited(success));
  });
});
