/**
 * What /proc/PID/stat tells about a server the launcher started, once the launcher is gone and
 * nobody can wait for it: whether it still runs, and whether it is still the same process.
 */
import { readFileSync } from 'node:fs';

/** Start time (field 22 of /proc/PID/stat), to tell a process from a later one with its pid. */
export function procStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19]; // field 22 overall; fields[0] is field 3
  } catch {
    return undefined;
  }
}

/** The process has ended (a zombie, or gone). */
export function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}
