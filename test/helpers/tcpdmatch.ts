import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

export const TCPDMATCH = '/usr/sbin/tcpdmatch';

/** Debian's tcpdmatch (package tcpd) on hosts.allow/deny in `dir`: true when access is granted. */
export function tcpdmatch(dir: string, daemon: string, client: string): Promise<boolean> {
  if (!existsSync(TCPDMATCH)) throw new Error('tcpdmatch not found: apt-get install -y tcpd');
  return new Promise((resolve, reject) => {
    execFile(TCPDMATCH, ['-d', daemon, client], { cwd: dir, timeout: 10_000 }, (error, stdout) => {
      if (error) return reject(error);
      const m = /access:\s+(granted|denied)/.exec(stdout);
      if (!m) return reject(new Error(`unexpected tcpdmatch output: ${stdout}`));
      resolve(m[1] === 'granted');
    });
  });
}
