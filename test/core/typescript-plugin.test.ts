/**
 * The typed API as a plugin author meets it: plugins written in TypeScript (strict, NodeNext)
 * against the package's public entry alone, compiled with tsc, listed compiled in a classic
 * xinetd.conf and run by the real daemon. A type the docs name that the entry does not export,
 * or a value typed too loosely for strict code, fails the compilation here.
 */
import assert from 'node:assert/strict';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, startDaemon } from '../helpers/daemon.js';
import { run, waitForLines } from '../helpers/e2e.js';
import { datagram, exchange, freePort } from '../helpers/net.js';
import { pluginProject } from '../helpers/plugin-project.js';

const TSCONFIG = JSON.stringify({
  compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', rootDir: '.', skipLibCheck: false },
  include: ['*.ts'],
});

// An attribute whose file is read once per configuration, its path taken from the file that
// wrote it (the daemon works in / after start, and a reload parses there).
const DENY_FILE = `import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AttributeError, AuthorizeStage, definePlugin, refuse, type ParseContext, type ServiceConfig, type SourceLocation } from 'xinetd-ts';

const NAME = 'deny-file';
interface DenyList { readonly path: string; readonly addresses: ReadonlySet<string> }

function read(values: readonly string[], ctx: ParseContext): DenyList {
  const at: SourceLocation = ctx.at;
  const path = resolve(dirname(at.file), values[0]!);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AttributeError(\`deny_file \${path}: \${(error as Error).message}\`);
  }
  const words = text.split('\\n').map((l) => l.trim()).filter((l) => l !== '');
  return { path, addresses: new Set(words.flatMap((w) => [w, \`::ffff:\${w}\`])) };
}

export default definePlugin(() => ({
  name: NAME,
  apply(daemon) {
    const denyFile = daemon.attributes.define<DenyList>({
      name: 'deny_file', owner: NAME, arity: 1, where: 'both', parse: read,
      doc: { values: 'path', default: 'none', description: 'Refuse the addresses listed in this file.' },
    });
    const applies = (service: ServiceConfig): boolean => service.values.has(denyFile);
    daemon.hooks.authorize.tap({ name: NAME, stage: AuthorizeStage.ADDRESS, applies }, (conn) => {
      const list = conn.service.values.get(denyFile);
      const address = conn.peer?.address;
      if (list === undefined || address === undefined || !list.addresses.has(address)) return undefined;
      return refuse('x-deny-file', \`\${address} is in \${list.path}\`);
    });
  },
}));
`;

// setup's result types ctx.data: assigning it to a string checks the inference.
const QOTD = `import { defineInternalService } from 'xinetd-ts';

export default defineInternalService({
  name: 'qotd',
  setup: (service) => \`\${service.id}: Simplicity is prerequisite for reliability.\\r\\n\`,
  stream: { mode: 'reply', answer: (ctx) => { const quote: string = ctx.data; return quote; } },
  dgram: (datagram, ctx) => datagram.reply(Buffer.from(ctx.data)),
});
`;

test('plugins written in strict TypeScript against the public entry compile with tsc and run in the daemon, a reload included', async (t) => {
  const dir = pluginProject({ 'tsconfig.json': TSCONFIG, 'deny-file.ts': DENY_FILE, 'qotd.ts': QOTD });
  // What `npm install -D @types/node` gives the project.
  symlinkSync(join(ROOT, 'node_modules/@types'), join(dir, 'node_modules/@types'), 'dir');
  const tsc = await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { ms: 60_000 });
  assert.equal(tsc.code, 0, tsc.stdout + tsc.stderr);

  const [stream, dgram] = [await freePort(), await freePort()];
  const service = (id: string, type: string, port: number, extra = '') =>
    `service qotd\n{\n\tid = ${id}\n\ttype = INTERNAL UNLISTED\n\tsocket_type = ${type}\n\twait = ${type === 'dgram' ? 'yes' : 'no'}\n\tport = ${port}\n\tbind = 127.0.0.1\n${extra}}\n`;
  const d = await startDaemon(({ log }) =>
    `defaults\n{\n\tplugins = ${dir}/out/deny-file.js ${dir}/out/qotd.js\n\tlog_type = FILE ${log}\n\tlog_on_failure = HOST\n}\n` +
    service('qotd-stream', 'stream', stream, '\tdeny_file = lists/deny\n') + service('qotd-dgram', 'dgram', dgram), { files: { 'lists/deny': '127.0.0.2\n' } });
  t.after(() => d.stop());

  const served = async () => {
    assert.equal((await exchange(stream)).toString(), 'qotd-stream: Simplicity is prerequisite for reliability.\r\n');
    assert.equal((await datagram(dgram, '\n')).toString(), 'qotd-dgram: Simplicity is prerequisite for reliability.\r\n');
    assert.equal((await exchange(stream, undefined, { localAddress: '127.0.0.2' })).length, 0);
  };
  await served();
  await d.waitForLog(/FAIL: qotd-stream x-deny-file from=127\.0\.0\.2$/);
  // Parsed again from /: the relative deny_file still names the same file.
  d.signal('SIGHUP');
  await d.waitForMessage(/Reconfigured: new=0 old=2 dropped=0/);
  await served();
  await waitForLines(d.serviceLog, /FAIL: qotd-stream x-deny-file from=127\.0\.0\.2$/, 2);
});
