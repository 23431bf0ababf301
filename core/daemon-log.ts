import { createWriteStream, type WriteStream } from 'node:fs';
import type { Daemon } from './daemon.js';
import type { DaemonLevel } from './log-event.js';
import type { XinetdPlugin } from './plugin.js';
import { formatLocation } from './config/raw.js';
import { usable } from './standard-streams.js';

const LEVEL_WORD: Record<DaemonLevel, string> = {
  crit: 'CRITICAL', error: 'ERROR', warning: 'WARNING', notice: 'NOTICE', info: 'INFO', debug: 'DEBUG',
};
const pad = (n: number) => String(n).padStart(2, '0');

/** `-filelog` line: `YY/M/D@HH:MM:SS xinetd[PID]: LEVEL: message [file=F] [line=N]`. */
export function formatDaemonLine(time: number, pid: number, level: DaemonLevel, message: string, suffix: string): string {
  const d = new Date(time);
  const stamp = `${pad(d.getFullYear() % 100)}/${d.getMonth() + 1}/${d.getDate()}@${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return `${stamp} xinetd[${pid}]: ${LEVEL_WORD[level]}: ${message}${suffix}\n`;
}

/**
 * The daemon's own messages to a file (`-filelog`) or a stream (stderr in the foreground).
 * Debug messages always to the file, as xinetd writes them; to the terminal only with `-d`.
 * The syslog route is the logging plugin's.
 */
export function daemonFileLog(options: { file?: string; stream?: NodeJS.WritableStream; debug: boolean }): XinetdPlugin {
  return {
    name: 'xinetd-ts:daemon-log',
    apply(daemon: Daemon) {
      let out: NodeJS.WritableStream | WriteStream | undefined = options.stream;
      if (options.file === '/dev/stderr' || options.file === '/dev/stdout') {
        // They may be sockets or pipes, which cannot be opened by path.
        out = options.file === '/dev/stderr' ? process.stderr : process.stdout;
      } else if (options.file) {
        const file = createWriteStream(options.file, { flags: 'a', mode: 0o644 });
        file.on('error', (e) => process.stderr.write(`xinetd-ts: cannot write ${options.file}: ${e.message}\n`));
        out = file;
        daemon.hooks.close.tapPromise('xinetd-ts:daemon-log', () => new Promise((resolve) => file.end(resolve)));
      }
      daemon.hooks.log.tap('xinetd-ts:daemon-log', (event) => {
        if (event.kind !== 'daemon' || !out || !usable(out)) return;
        if (event.level === 'debug' && !options.debug && !options.file) return;
        out.write(formatDaemonLine(event.time, process.pid, event.level, event.message, formatLocation(event.at)));
      });
    },
  };
}
