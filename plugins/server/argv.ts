import { basename } from 'node:path';

/** The server's argv: with NAMEINARGS the arguments as written, else the program's basename first. */
export function serverArgv(server: string, args: readonly string[], nameInArgs: boolean): string[] {
  return nameInArgs ? [...args] : [basename(server), ...args];
}
