/**
 * The side-by-side harness of test/compat: a scenario runs Debian's xinetd and then xinetd-ts on
 * the same configuration text, ports and client actions, and their records (the service log, the
 * daemon's messages where asked) must be the same lines once times, pids and temporary paths are
 * masked. The transforms name the row of docs/compatibility.md they stand for.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, type RunningDaemon } from './daemon.js';
import { freePorts, hold, service, type HeldConnection } from './e2e.js';
import { readLines, waitFor } from './wait.js';

export const XINETD = '/usr/sbin/xinetd';

export interface Scenario {
  /** The configuration, given the scenario's ports and the daemon's temporary directory. */
  readonly config: (ports: readonly number[], paths: { dir: string; log: string }) => string;
  readonly ports: number;
  /** Files written into the temporary directory first (given the scenario's ports). */
  readonly files?: Record<string, string> | ((ports: readonly number[]) => Record<string, string>);
  /**
   * Files the daemon finds in /etc (hosts.allow, hosts.deny): each daemon runs in a mount
   * namespace of its own with an overlay on /etc that holds them; the machine's /etc is untouched.
   */
  readonly etc?: Record<string, string>;
  /**
   * What the clients do; resolves once every record they cause has been written, with what the
   * clients received where that is compared too (the same for both daemons).
   */
  readonly act: (ports: readonly number[], d: RunningDaemon) => Promise<unknown>;
  /** Compare the daemon's messages (-filelog) too, not only the service log. */
  readonly messages?: boolean;
  /**
   * The service log xinetd-ts must write, given xinetd's: where compatibility.md lists a
   * deliberate difference the scenario runs into. Default: the same lines.
   */
  readonly expected?: (reference: string[]) => string[];
  /** The same for the daemon's messages. */
  readonly expectedMessages?: (reference: string[]) => string[];
  /** xinetd-ts's messages as compared: where it says more than xinetd (compatibility.md). */
  readonly actualMessages?: (ours: string[]) => string[];
  /** Compare the service logs as sets: records of concurrent sessions whose order is a race. */
  readonly unordered?: boolean;
  /**
   * Run each daemon in a network namespace of its own, its loopback up (no clients then): for
   * stock ports, and `bind = 127.0.0.1` binds as on a host.
   */
  readonly ownNetwork?: boolean;
  /** Leave the service logs out of the comparison (a listed difference rewrites them whole). */
  readonly ignoreLog?: boolean;
  /**
   * The environment both daemons start with, instead of the test runner's. xinetd-ts's also keeps
   * the runner's XINETD_TS_* settings: they never reach servers (compatibility.md).
   */
  readonly env?: Record<string, string>;
}

export interface Records {
  readonly log: string[];
  readonly messages: string[];
  /** What `act` returned: what the clients received. */
  readonly received: unknown;
}

/** Times, pids, durations and the temporary directory masked; the version banner dropped. */
function masked(lines: readonly string[], dir: string): string[] {
  return lines
    .filter((l) => !/ started with .* options compiled in\.$/.test(l))
    .map((l) => l
      .split(dir).join('DIR')
      .replace(/^\d\d\/\d\d\/\d\d@\d\d:\d\d:\d\d/, 'TIME')
      .replace(/xinetd\[\d+\]/, 'xinetd[PID]')
      .replace(/pid=[1-9]\d*/g, 'pid=PID')
      .replace(/ server \d+$/, ' server PID')
      .replace(/duration=\d+/g, 'duration=N'));
}

async function recordsOf(s: Scenario, ports: readonly number[], xinetd?: string): Promise<Records> {
  const etcFiles = Object.fromEntries(Object.entries(s.etc ?? {}).map(([name, text]) => [`etc/${name}`, text]));
  const d = await startDaemon((paths) => s.config(ports, paths), {
    files: { ...(typeof s.files === 'function' ? s.files(ports) : s.files), ...etcFiles },
    ...(xinetd ? { xinetd } : {}),
    // The test runner points libwrap at empty files for every other test; here it reads /etc.
    ...(s.etc ? { wrapper: overlaidEtc, env: { ...process.env, XINETD_TS_HOSTS_ALLOW: '/etc/hosts.allow', XINETD_TS_HOSTS_DENY: '/etc/hosts.deny' } } : {}),
    ...(s.ownNetwork ? { wrapper: () => ['unshare', '-n', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh'] } : {}),
    ...(s.env ? { env: xinetd ? s.env : { ...s.env, ...daemonSettings() } } : {}),
  });
  let received: unknown;
  try {
    received = await s.act(ports, d);
  } catch (error) {
    // Which daemon, and what it had written: a failure on CI is read from this alone.
    const so = `service log:\n${(await d.logLines()).join('\n')}\nmessages:\n${(await readLines(d.messages)).join('\n')}`;
    throw new Error(`${xinetd ? 'xinetd' : 'xinetd-ts'}: ${(error as Error).message}\n${so}`, { cause: error });
  } finally {
    await d.stop();
  }
  if (s.messages) await d.waitForMessage(/Exiting\.\.\./);
  return { log: masked(await d.logLines(), d.dir), messages: s.messages ? masked(await readLines(d.messages), d.dir) : [], received };
}

/** The test runner's settings for xinetd-ts (XINETD_TS_*). */
function daemonSettings(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('XINETD_TS_') && e[1] !== undefined));
}

/** Execs the daemon in a private mount namespace whose /etc is an overlay holding DIR/etc's files. */
const overlaidEtc = privateMounts({ etc: true });

/**
 * A wrapper for startDaemon: execs the daemon in a private mount namespace where, with `etc`,
 * /etc is an overlay holding DIR/etc's files, and with `devLog`, /dev is an overlay whose /dev/log
 * is that socket (xinetd's syslog(3) has no other path). The machine's /etc and /dev are untouched.
 */
export function privateMounts(options: { etc?: boolean; devLog?: string }): (dir: string) => string[] {
  return (dir) => {
    const steps: string[] = [];
    for (const [on, top] of [[options.etc, 'etc'], [options.devLog, 'dev']] as const) {
      if (!on) continue;
      mkdirSync(join(dir, `${top}-upper`));
      mkdirSync(join(dir, `${top}-work`));
      steps.push(`mount -t overlay overlay -o "lowerdir=/${top},upperdir=$0/${top}-upper,workdir=$0/${top}-work" /${top}`);
    }
    if (options.etc) steps.push('cp "$0"/etc/* /etc/');
    // $1 is the socket; the daemon's command follows it.
    if (options.devLog) steps.push('ln -sfn "$1" /dev/log && shift');
    return ['unshare', '-m', '--propagation', 'private', 'sh', '-c', [...steps, 'exec "$@"'].join(' && '), dir, ...(options.devLog ? [options.devLog] : [])];
  };
}

/** Runs the scenario on xinetd, then on xinetd-ts, on the same ports; both must write the same. */
export async function sameRecords(s: Scenario): Promise<Records> {
  assert.ok(existsSync(XINETD), `${XINETD} is needed (apt-get install xinetd; .ci/run does)`);
  const ports = await freePorts(s.ports);
  const reference = await recordsOf(s, ports, XINETD);
  const measured = await recordsOf(s, ports);
  const ours = { ...measured, messages: s.actualMessages?.(measured.messages) ?? measured.messages };
  const expected = { log: s.expected?.(reference.log) ?? reference.log, messages: s.expectedMessages?.(reference.messages) ?? reference.messages, received: reference.received };
  // DIFF_DEBUG=1: both daemons' records whole, to read a difference the assertion cuts short.
  if (process.env.DIFF_DEBUG) console.log(JSON.stringify({ reference, measured }, null, 1));
  const order = (r: Records) => (s.ignoreLog ? { ...r, log: [] } : s.unordered ? { ...r, log: [...r.log].sort() } : r);
  assert.deepEqual(order(ours), order(expected));
  return reference;
}

/**
 * compatibility.md, "Address and libwrap checks of forked services run in the child": for the
 * services `ids` (forked ones; xinetd checks the others in the parent, with a FAIL alone) xinetd
 * logs the fork's START (before or after the child's FAIL: a race), and the child's EXIT when
 * the service logs EXIT; xinetd-ts refuses before launching, with the FAIL alone. That EXIT is
 * written whenever xinetd reaps the child: it is the service's EXIT that has no START left to
 * end, wherever it stands, and may be missing when the daemon stopped first.
 */
export function refusedBeforeLaunch(...ids: string[]): (lines: readonly string[]) => string[] {
  return (lines) => {
    const dropped = new Set<number>();
    const unended = new Map<string, number>();
    lines.forEach((line, i) => {
      // An IDONLY refusal is a NOID record (compatibility.md: the ident lookup is done before launching).
      const refusal = / FAIL: (\S+) (?:address|libwrap) from=(\S+)/.exec(line) ?? / NOID: (\S+) (\S+) /.exec(line);
      if (!refusal || !ids.includes(refusal[1]!)) return;
      const [, id, address] = refusal;
      const from = `from=${address}`;
      const near = (k: number) => Math.abs(k - i);
      const start = lines
        .flatMap((l, k) => (!dropped.has(k) && l.includes(` START: ${id} `) && l.endsWith(from!) ? [k] : []))
        .sort((a, b) => near(a) - near(b))[0];
      assert.ok(start !== undefined, `xinetd logs the fork of a child that refuses: ${lines.join('\n')}`);
      dropped.add(start);
      unended.set(id!, (unended.get(id!) ?? 0) + 1);
    });
    const running = new Map<string, number>();
    lines.forEach((line, k) => {
      const record = / (START|EXIT): (\S+) /.exec(line);
      if (dropped.has(k) || !record || !ids.includes(record[2]!)) return;
      const [, kind, id] = record;
      const open = running.get(id!) ?? 0;
      if (kind === 'START') running.set(id!, open + 1);
      else if (open > 0) running.set(id!, open - 1);
      else if ((unended.get(id!) ?? 0) > 0) {
        unended.set(id!, unended.get(id!)! - 1);
        dropped.add(k);
      }
    });
    return lines.filter((_, k) => !dropped.has(k));
  };
}

/**
 * compatibility.md, "A server killed by a reload ... is logged `EXIT: ID status=0`, then `unknown
 * child process N died`": xinetd-ts logs the status the server really ended with.
 */
export function killedByReload(id: string): { expected: (lines: string[]) => string[]; expectedMessages: (lines: string[]) => string[] } {
  return {
    expected: (lines) => lines.map((l) => (l.includes(` EXIT: ${id} status=0 `) ? l.replace('status=0', 'signal=9') : l)),
    // xinetd also sends its signal again when the server has not died by its next look (a race).
    expectedMessages: (lines) => lines.filter((l, i) => !/unknown child process \d+ died$/.test(l) && !(l.includes(': Sending signal') && l === lines[i - 1])),
  };
}

/**
 * compatibility.md, "`DEBUG: Reading included configuration file: F` of an `includedir`'s second
 * and later files": xinetd-ts names the includedir line for each, as xinetd does for the first.
 */
export function includedirLocated(lines: string[]): string[] {
  const reading = / DEBUG: Reading included configuration file: \S+( \[file=[^\]]*\] \[line=\d+\])$/;
  const first = lines.map((l) => reading.exec(l)?.[1]).find((at) => at !== undefined);
  return lines.map((l) => (first && reading.test(l) ? l.replace(reading.exec(l)![1]!, first) : l));
}

/**
 * compatibility.md and issue 3: `servers` and `services` are internal services of xinetd-ts (xinetd
 * dropped them in 2.3.12), enabled with a warning that they show the host to their clients.
 */
export function adminServicesServed(lines: string[]): string[] {
  let added = 0;
  return lines.map((l) => {
    const m = /^(TIME xinetd\[PID\]: )ERROR: No such internal service: (servers|services)\/stream - DISABLING$/.exec(l);
    if (m) {
      added++;
      return `${m[1]}WARNING: Service ${m[2]}: the ${m[2]} service shows this host's services and servers to its clients [file=DIR/xinetd.d/${m[2]}] [line=3]`;
    }
    return l.replace(/Started working: (\d+) available services$/, (_, n: string) => `Started working: ${Number(n) + added} available services`);
  });
}

/**
 * compatibility.md, "The checks made after the whole configuration is read ... name no file or
 * line": xinetd-ts appends the entry's location to them.
 */
export function locatedChecks(lines: string[]): string[] {
  return lines.map((l) => (/(missing attribute|expects port|must have a port entry|Must specify a server|not in \/etc\/services|clearing USERID option)/.test(l) ? l.replace(/ \[file=[^\]]*\] \[line=\d+\]$/, '') : l));
}

/**
 * compatibility.md, "`umask argument is invalid.` ends with a line feed": xinetd's location lands
 * on a line of its own; xinetd-ts writes the message and its location on one line.
 */
export function umaskMessageJoined(lines: string[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    const last = out.length - 1;
    if (/^ \[file=[^\]]*\] \[line=\d+\]$/.test(l) && last >= 0 && out[last]!.endsWith('umask argument is invalid.')) out[last] += l;
    else out.push(l);
  }
  return out;
}

/** compatibility.md, "`bind failed` is retried ten times": one attempt, the same lines around it. */
export function bindTriedOnce(lines: string[]): string[] {
  return lines.filter((l, i) => !/NOTICE: bind retry attempt \d+$/.test(l) && !(l.includes('ERROR: bind failed') && lines.slice(0, i).includes(l)));
}

/**
 * compatibility.md, "Stream echo, discard, chargen (and tcpmux) fork a child per connection" and
 * redirect: served in the daemon, so their records show pid=0 where xinetd shows its child's, and
 * status=0 where xinetd's child was killed by SIGPIPE writing to a client that had left.
 */
export function servedInProcess(...ids: string[]): (lines: readonly string[]) => string[] {
  return (lines) => lines.map((l) => (ids.some((id) => l.includes(`: ${id} `)) ? l.replace('pid=PID', 'pid=0').replace('signal=13', 'status=0') : l));
}

/** `defaults` as a sysadmin's: every success and failure field that needs no ident server. */
export function defaults(log: string, extra: readonly string[] = []): string {
  return `defaults\n{\n\tlog_type = FILE ${log}\n\tlog_on_success = PID HOST EXIT DURATION\n\tlog_on_failure = HOST ATTEMPT\n${extra.map((l) => `\t${l}\n`).join('')}}\n`;
}

export function internal(name: string, port: number, socketType: 'stream' | 'dgram', extra: readonly string[] = []): string {
  return service(name, ['type = INTERNAL UNLISTED', `id = ${name}-${socketType}`, `socket_type = ${socketType}`, `wait = ${socketType === 'dgram' ? 'yes' : 'no'}`, 'bind = 127.0.0.1', `port = ${port}`, ...extra]);
}

/** Wait until the service log has `n` lines matching `pattern`. */
export function logged(d: RunningDaemon, pattern: RegExp, n = 1): Promise<string[]> {
  return waitFor(`${n} x ${pattern} in ${d.serviceLog}`, async () => {
    const hits = (await d.logLines()).filter((l) => pattern.test(l));
    return hits.length >= n ? hits : undefined;
  }, { file: d.serviceLog });
}

/** A session with a /bin/cat server, seen to echo `line` (so its START is written); left open. */
export async function echoing(port: number, line: string, localAddress?: string): Promise<HeldConnection> {
  const c = await hold(port, '127.0.0.1', localAddress);
  c.socket.write(line);
  await c.expect(new RegExp(line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return c;
}

/** A connection a limit refuses at once: closed with nothing sent. */
export async function refusedAtOnce(port: number): Promise<void> {
  const c = await hold(port);
  await c.closed();
  assert.equal(c.received(), '');
}

/** An access_times window that excludes the current time (and the next hour). */
export function closedWindow(): string {
  const h = (new Date().getHours() + 12) % 24;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(h)}:00-${two(h)}:30`;
}

