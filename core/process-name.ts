import { writeFileSync } from 'node:fs';

/**
 * The daemon's process name (`/proc/PID/comm`) is `xinetd-ts`, not `node`: `pgrep -x xinetd-ts`,
 * `killall -HUP xinetd-ts`, `top` and `ps -e` find it as they find xinetd. The command line
 * (`ps` args) stays as started, with its options. Linux only; elsewhere the name stays.
 */
export function nameProcess(name = 'xinetd-ts'): void {
  try {
    writeFileSync('/proc/self/comm', name);
  } catch {
    // not Linux, or /proc not mounted
  }
}
