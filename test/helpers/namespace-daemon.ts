import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, tempDir } from './daemon.js';
import { waitForLine } from './wait.js';

export interface NamespacedDaemon {
  readonly dir: string;
  readonly log: string;
  readonly messages: string;
  stop(): Promise<void>;
}

/**
 * Run the real daemon in a private mount namespace where `hostsText` is /etc/hosts, so name
 * look-ups are under the test's control and the machine's own /etc/hosts is never touched.
 */
export async function startWithHosts(hostsText: string, config: (p: { dir: string; log: string }) => string, env: NodeJS.ProcessEnv = process.env): Promise<NamespacedDaemon> {
  const dir = tempDir('xinetd-ts-ns-');
  const hosts = join(dir, 'hosts');
  const log = join(dir, 'service.log');
  const messages = join(dir, 'messages.log');
  const conf = join(dir, 'xinetd.conf');
  writeFileSync(hosts, hostsText);
  writeFileSync(conf, config({ dir, log }));
  const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hosts,
    process.execPath, CLI, '-dontfork', '-f', conf, '-filelog', messages], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  try {
    await Promise.race([waitForLine(messages, /Started working/, 15_000), exited.then(() => {
      throw new Error(`namespaced daemon exited early: ${err}`);
    })]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { dir, log, messages, stop };
}
