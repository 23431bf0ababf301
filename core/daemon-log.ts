import { resolve } from 'node:path';
import { FileSink } from './log-file/file-sink.js';
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
 *
 * The file is a FileSink, as service logs are: a write that fails (a full disk, a file removed
 * with its directory) is said once on stderr, the messages meanwhile are counted, and the file
 * is opened again a second later; the recovery, with that count, is the file's next line. A
 * plain write stream ended at its first error, and the daemon wrote nothing more for the rest of
 * its life. A disk that does not keep up holds at most FileSink's buffer.
 */
export function daemonFileLog(options: { file?: string; stream?: NodeJS.WritableStream; debug: boolean }): XinetdPlugin & { reopen(): void } {
  let file: FileSink | undefined;
  return {
    name: 'xinetd-ts:daemon-log',
    /** A reload lets go of the file first (xinetd keeps writing to it, renamed or not). */
    reopen: () => file?.reopen(),
    apply(daemon: Daemon) {
      let out: { write(line: string): void } | undefined;
      if (options.file === '/dev/stderr' || options.file === '/dev/stdout') {
        // They may be sockets or pipes, which cannot be opened by path.
        const stream = options.file === '/dev/stderr' ? process.stderr : process.stdout;
        out = { write: (line) => usable(stream) && stream.write(line) };
      } else if (options.file) {
        // Absolute: the file may be opened again after the daemon's chdir('/').
        const path = resolve(options.file);
        const sink: FileSink = new FileSink({
          path,
          label: path,
          report: (level, text) => {
            // The failure can only be told elsewhere; the recovery goes into the file itself.
            if (usable(process.stderr)) process.stderr.write(`xinetd-ts: ${text}\n`);
            if (level !== 'error') sink.write(formatDaemonLine(Date.now(), process.pid, level, text, ''));
          },
        });
        out = file = sink;
        daemon.hooks.close.tapPromise('xinetd-ts:daemon-log', () => sink.close());
      } else if (options.stream) {
        const stream = options.stream;
        out = { write: (line) => usable(stream) && stream.write(line) };
      }
      daemon.hooks.log.tap('xinetd-ts:daemon-log', (event) => {
        if (event.kind !== 'daemon' || !out) return;
        if (event.level === 'debug' && !options.debug && !options.file) return;
        out.write(formatDaemonLine(event.time, process.pid, event.level, event.message, formatLocation(event.at)));
      });
    },
  };
}
