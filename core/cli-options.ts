import { resolve } from 'node:path';

/** xinetd's command line (reference 15): single-dash words; unknown options are ignored. */
export interface CliOptions {
  debug: boolean;
  configFile?: string;
  filelog?: string;
  syslog?: string;
  pidfile?: string;
  dontfork: boolean;
  stayalive: boolean;
  limit?: number;
  logprocs?: number;
  version: boolean;
  inetdCompat: boolean;
  /** -inetd_file FILE (extension): the inetd.conf read by -inetd_compat; implies it. */
  inetdFile?: string;
  consistencyInterval?: number;
  dumpFile?: string;
}

export const USAGE =
  'Usage: xinetd-ts [-d] [-f config_file] [-filelog filename] [-syslog facility] [-reuse] [-limit proc_limit] ' +
  '[-pidfile filename] [-logprocs limit] [-shutdownprocs limit] [-cc interval] [-dontfork] [-stayalive] ' +
  '[-inetd_compat] [-inetd_file filename] [-dumpfile filename] [-version]\n' +
  '       xinetd-ts check [-f config_file] [--json]\n' +
  '       xinetd-ts itox [-daemon_dir dir] < inetd.conf > xinetd.conf\n' +
  '       xinetd-ts explain SERVICE ADDRESS [--name HOSTNAME | --no-name] [-f config_file]\n' +
  '       xinetd-ts explain DAEMON ADDRESS --hosts-allow FILE --hosts-deny FILE\n';

export class UsageError extends Error {}

/**
 * File names are made absolute at once: the daemon moves to `/` after start-up, and files are
 * opened (the log), written (the pid file, a dump) or read again (a reload) after that.
 */
function absolute(file: string | undefined): string | undefined {
  return file === undefined ? undefined : resolve(file);
}

const WITH_VALUE = new Set(['-f', '-filelog', '-syslog', '-pidfile', '-limit', '-logprocs', '-cc', '-shutdownprocs', '-dumpfile', '-inetd_file']);

export function parseCliOptions(argv: readonly string[]): { options: CliOptions; notices: string[] } {
  const options: CliOptions = { debug: false, dontfork: false, stayalive: false, version: false, inetdCompat: false };
  const notices: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) throw new UsageError(`unexpected argument: ${arg}`);
    let value: string | undefined;
    if (WITH_VALUE.has(arg)) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`option ${arg} needs a value`);
    }
    const num = () => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`option ${arg} needs a number, not ${value}`);
      return n;
    };
    switch (arg) {
      case '-d': options.debug = true; options.dontfork = true; options.stayalive = true; break;
      case '-f': options.configFile = absolute(value); break;
      case '-filelog': options.filelog = absolute(value); break;
      case '-syslog': options.syslog = value; break;
      case '-pidfile': options.pidfile = absolute(value); break;
      case '-dontfork': options.dontfork = true; options.stayalive = true; break;
      case '-stayalive': options.stayalive = true; break;
      // A negative limit is no limit, as xinetd takes it (0 is none too).
      case '-limit': options.limit = /^-\d+$/.test(value!) ? 0 : num(); break;
      case '-logprocs': options.logprocs = num(); break;
      case '-cc': options.consistencyInterval = num(); break;
      case '-dumpfile': options.dumpFile = absolute(value); break;
      case '-version': case '--version': options.version = true; break;
      case '-inetd_compat': options.inetdCompat = true; break;
      case '-inetd_file': options.inetdFile = absolute(value); options.inetdCompat = true; break;
      case '-shutdownprocs': notices.push('The shutdownprocs option has been deprecated.'); break;
      default: break; // -reuse, -inetd_ipv6 and unknown options: accepted and ignored, as xinetd does
    }
  }
  if (options.filelog !== undefined && options.syslog !== undefined) throw new UsageError('-filelog and -syslog cannot be used together');
  return { options, notices };
}
