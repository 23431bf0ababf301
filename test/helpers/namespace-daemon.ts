import { join } from 'node:path';
import { startDaemon } from './daemon.js';

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
  // unshare and sh exec in turn, so the child is the daemon itself, in a mount namespace where
  // the temp dir's hosts file is bind-mounted over /etc/hosts.
  const d = await startDaemon(config, {
    env,
    files: { hosts: hostsText },
    wrapper: (dir) => ['unshare', '-m', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', join(dir, 'hosts')],
  });
  return { dir: d.dir, log: d.serviceLog, messages: d.messages, stop: () => d.stop() };
}
