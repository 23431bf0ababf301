import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitForTcp } from './net.js';
import { readLines, waitFor, waitForLine } from './wait.js';

/**
 * A private rsyslogd for logging tests: its own unix socket (never the machine's /dev/log),
 * UDP and TCP inputs on loopback, and three output files: `raw` (`<PRI> TAG MSG`, to check
 * priorities and tags), `traditional` (rsyslog's classic file format, what fail2ban reads) and
 * `authLog` (the auth and authpriv facilities alone in that format, as Debian's rsyslog.conf
 * writes /var/log/auth.log, which logwatch reads).
 */
export interface Rsyslog {
  readonly dir: string;
  readonly socket: string;
  readonly udpPort: number;
  readonly tcpPort: number;
  readonly raw: string;
  readonly traditional: string;
  readonly authLog: string;
  waitForRaw(pattern: RegExp, ms?: number): Promise<string>;
  rawLines(): Promise<string[]>;
  /** Kill it (SIGKILL, so the socket file stays, dead, as after a crash). */
  kill(): Promise<void>;
  /** Start it again on the same socket and ports. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRsyslog(dir: string): Promise<Rsyslog> {
  const socket = join(dir, 'log.sock');
  const raw = join(dir, 'raw.log');
  const traditional = join(dir, 'traditional.log');
  const authLog = join(dir, 'auth.log');
  const udpPort = await freePort();
  const tcpPort = await freePort();
  const conf = join(dir, 'rsyslog.conf');
  writeFileSync(conf, [
    `global(workDirectory="${dir}" maxMessageSize="8k")`,
    'module(load="imuxsock" SysSock.Use="off")',
    `input(type="imuxsock" Socket="${socket}" CreatePath="on" UsePIDFromSystem="off")`,
    'module(load="imudp")',
    `input(type="imudp" address="127.0.0.1" port="${udpPort}")`,
    'module(load="imtcp")',
    `input(type="imtcp" address="127.0.0.1" port="${tcpPort}")`,
    'template(name="raw" type="string" string="<%PRI%> %syslogtag%%msg%\\n")',
    `action(type="omfile" file="${raw}" template="raw")`,
    `action(type="omfile" file="${traditional}" template="RSYSLOG_TraditionalFileFormat")`,
    `auth,authpriv.* action(type="omfile" file="${authLog}" template="RSYSLOG_TraditionalFileFormat")`,
    '',
  ].join('\n'));
  let child: ChildProcess | undefined;
  const start = async () => {
    const c = spawn('rsyslogd', ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child = c;
    await waitFor(`rsyslogd socket ${socket}`, () => {
      if (c.exitCode !== null) throw new Error(`rsyslogd exited: ${err}`);
      return existsSync(socket) ? true : undefined;
    }, { ms: 10_000 });
    // The inputs are up once a probe sent over UDP and TCP comes out.
    const probe = `probe-${Date.now()}-${Math.random()}`;
    const udp = dgram.createSocket('udp4');
    try {
      await waitFor('rsyslogd UDP input', async () => {
        udp.send(`<14>${new Date().toString().slice(4, 10)} 00:00:00 localhost probe: udp-${probe}`, udpPort, '127.0.0.1');
        const lines = await readLines(raw);
        return lines.some((l) => l.includes(`udp-${probe}`)) ? true : undefined;
      }, { ms: 10_000, everyMs: 100 });
    } finally {
      udp.close();
    }
    await waitForTcp('127.0.0.1', tcpPort, { everyMs: 100 });
  };
  try {
    await start();
  } catch (error) {
    child?.kill('SIGKILL');
    throw error;
  }
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = once(c, 'exit');
    c.kill('SIGKILL');
    await exited;
  };
  return {
    dir, socket, udpPort, tcpPort, raw, traditional, authLog,
    waitForRaw: (pattern, ms) => waitForLine(raw, pattern, ms),
    rawLines: () => readLines(raw),
    kill,
    restart: start,
    async stop() {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = once(c, 'exit');
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
