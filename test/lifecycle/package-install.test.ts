/**
 * The package as npm installs it: the tarball carries the C sources and no binaries, and its
 * install script builds the launcher, the syslog relay and the accept addon with the machine's
 * compiler (a binary built where the package was packed would carry that machine's Node and
 * libc). Without a compiler the install fails and says what to install.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT, startDaemon, tempDir } from '../helpers/daemon.js';
import { exchange, freePort } from '../helpers/net.js';
import { loggingDefaults, streamService } from '../helpers/e2e.js';

const run = promisify(execFile);
const NATIVE = ['xinetd-ts-launcher', 'xinetd-ts-syslog-relay', 'acceptor.node'];

/** `npm pack` of the checkout (already built: no scripts), extracted; returns the package's directory. */
async function packedAndExtracted(): Promise<string> {
  const dir = tempDir('xinetd-ts-pack-');
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, timeout: 60_000 });
  const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
  await run('tar', ['-xzf', join(dir, filename), '-C', dir], { timeout: 60_000 });
  return join(dir, 'package');
}

/** Run the package's install script the way npm does: `sh -c SCRIPT` in the package's directory. */
function installScript(pkg: string, env: NodeJS.ProcessEnv) {
  const { scripts } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.ok(scripts.install, 'the package has an install script');
  return run('/bin/sh', ['-c', scripts.install], { cwd: pkg, env, timeout: 120_000 });
}

test('an installed package builds its native parts from source with the machine\'s compiler, and serves', async (t) => {
  const pkg = await packedAndExtracted();
  for (const name of NATIVE) assert.equal(existsSync(join(pkg, 'dist/native', name)), false, `${name} is not shipped`);

  // No compiler: the install stops and names what to install.
  const onlyNode = tempDir('xinetd-ts-path-');
  symlinkSync(process.execPath, join(onlyNode, 'node'));
  const bare = { PATH: onlyNode, HOME: process.env.HOME ?? '/root' };
  const failed = await installScript(pkg, bare).then(() => undefined, (error: { code?: number; stderr?: string }) => error);
  assert.ok(failed, 'the install must fail without a compiler');
  assert.equal(failed.code, 1);
  assert.match(failed.stderr ?? '', /needs a C compiler \(cc\) to build its launcher: apt-get install gcc/);

  await installScript(pkg, process.env);
  for (const name of NATIVE) assert.ok(existsSync(join(pkg, 'dist/native', name)), `${name} built at install`);

  // The installed daemon, with the binaries it built, starts a server (the launcher) and accepts
  // natively; its dependencies are the checkout's.
  symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
  const port = await freePort();
  const d = await startDaemon(({ log }) => loggingDefaults(log) + streamService('installed', port, '/bin/cat'), { cli: join(pkg, 'dist/core/cli.js') });
  t.after(() => d.stop());
  assert.equal((await exchange(port, 'from the tarball\n')).toString(), 'from the tarball\n');
  assert.match(await d.waitForLog(/EXIT: installed/), /EXIT: installed status=0 pid=\d+/);
});
