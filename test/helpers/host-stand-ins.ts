import { accessSync, constants, readFileSync } from 'node:fs';

/** The first field of each line of a passwd-style file (what the daemon's netdb reads too). */
function names(file: string): Set<string> {
  return new Set(readFileSync(file, 'utf8').split('\n').map((l) => l.split(':')[0]!).filter((n) => n !== ''));
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A documented configuration names the users, groups and programs of the machine it was
 * written for (`user = nagios`, `server = /usr/sbin/nrpe`). Each one this machine lacks is
 * replaced by one it has (root, /bin/sh), in classic (`user = X`), JSON (`"user": "X"`) and YAML
 * (`user: X`) forms alike, so that the rest of the snippet is checked as written, here as on
 * the machine it is meant for. Returns the text and what was replaced.
 */
export function onThisHost(text: string): { text: string; replaced: string[] } {
  const users = names('/etc/passwd');
  const groups = names('/etc/group');
  const replaced: string[] = [];
  const out = text.replace(/\b(user|group|server)("?\s*[=:]\s*"?)([^\s",]+)/g, (whole, key: string, between: string, value: string) => {
    const present = /^\d+$/.test(value) || (key === 'user' ? users.has(value) : key === 'group' ? groups.has(value) : executable(value));
    if (present) return whole;
    const standIn = key === 'server' ? '/bin/sh' : 'root';
    replaced.push(`${key} ${value} -> ${standIn}`);
    return `${key}${between}${standIn}`;
  });
  return { text: out, replaced };
}
