/**
 * The drop-in promise as logwatch sees it: Debian's logwatch (7.7) reports xinetd's syslog lines
 * in its `secure` service ("Connections (secure-log)"; it has no service named xinetd), read from
 * the `secure` logfile group (auth.log). It counts `START: ID pid=N from=ADDR` per service and
 * address, `FAIL: ID address|libwrap|service_limit|connections per second from=IPv4` as refused
 * connections, ignores EXIT and USERID, and lists every other xinetd line as unmatched. xinetd and
 * xinetd-ts each log the same sessions through syslog(3)'s /dev/log to a private rsyslog, and
 * logwatch's report on each auth.log must be the same. .ci/run installs logwatch and xinetd;
 * without them this test fails.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon, tempDir } from '../helpers/daemon.js';
import { echoing, internal, privateMounts, refusedAtOnce, refusedBeforeLaunch, XINETD } from '../helpers/differential.js';
import { fixture, freePorts, streamService, waitForLines } from '../helpers/e2e.js';
import { startIdentServer } from '../helpers/logging-ident.js';
import { startRsyslog } from '../helpers/logging-rsyslog.js';
import { exchange } from '../helpers/net.js';
import { readLines } from '../helpers/wait.js';

const LOGWATCH = '/usr/sbin/logwatch';
// The ident server of the USERID records (an address no other test binds port 113 on).
const IDENT = '127.0.0.91';

/** The same configuration for both daemons: records to syslog facility authpriv, as auth.log holds. */
function config([spawned, limited, hostOnly, dual, daytime]: readonly number[]): string {
  return 'defaults\n{\n\tlog_type = SYSLOG authpriv info\n\tlog_on_success = PID HOST EXIT DURATION\n\tlog_on_failure = HOST ATTEMPT\n}\n' +
    streamService('spawned', spawned!, fixture('args.sh'), ['bind = 127.0.0.1', 'only_from = 127.0.0.1 127.0.0.2']) +
    streamService('limited', limited!, '/bin/cat', ['bind = 127.0.0.1', 'instances = 1']) +
    streamService('hostonly', hostOnly!, fixture('args.sh'), ['bind = 127.0.0.1', 'log_on_success = HOST']) +
    streamService('dual', dual!, fixture('args.sh'), ['log_on_success += USERID']) +
    internal('daytime', daytime!, 'stream');
}

/**
 * Runs one daemon (xinetd given its path, else xinetd-ts) on `ports` with its own rsyslog and
 * /dev/log, plays the sessions, and returns the auth.log rsyslog wrote.
 */
async function authLogOf(ports: readonly number[], xinetd?: string): Promise<string[]> {
  const rs = await startRsyslog(tempDir('xinetd-ts-logwatch-rsyslog-'));
  try {
    // Both reach rsyslog by /dev/log, the way syslog(3) does; libwrap reads the overlaid /etc.
    const { XINETD_TS_SYSLOG_SOCKET: _, ...runner } = process.env;
    const env = { ...runner, XINETD_TS_HOSTS_ALLOW: '/etc/hosts.allow', XINETD_TS_HOSTS_DENY: '/etc/hosts.deny' };
    const d = await startDaemon(() => config(ports), {
      ...(xinetd ? { xinetd } : {}),
      files: { 'etc/hosts.allow': '', 'etc/hosts.deny': 'daytime : 127.0.0.4\n' },
      wrapper: privateMounts({ etc: true, devLog: rs.socket }),
      env,
    });
    // Each record is awaited by its kind and service alone: a changed format is for logwatch to judge.
    const lines = (pattern: RegExp, n = 1) => waitForLines(rs.authLog, pattern, n);
    try {
      const [spawned, limited, hostOnly, dual, daytime] = ports;
      for (const from of ['127.0.0.1', '127.0.0.2', '127.0.0.1']) await exchange(spawned!, undefined, { localAddress: from });
      await lines(/EXIT: spawned\b/, 3);
      // Refused for its address (xinetd forks first: compatibility.md, masked below).
      await exchange(spawned!, undefined, { localAddress: '127.0.0.3' });
      await lines(/FAIL: spawned\b/);

      const held = await echoing(limited!, 'hello\n');
      await refusedAtOnce(limited!);
      await lines(/FAIL: limited\b/);
      held.end();
      await lines(/EXIT: limited\b/);

      await exchange(hostOnly!, undefined, { localAddress: '127.0.0.2' });
      await lines(/START: hostonly\b/);

      await exchange(dual!, undefined, { localAddress: IDENT });
      await lines(/USERID: dual\b/);
      await lines(/EXIT: dual\b/);

      await exchange(daytime!);
      await lines(/START: daytime-stream\b/);
      await exchange(daytime!, undefined, { localAddress: '127.0.0.4' });
      await lines(/FAIL: daytime-stream\b/);
    } finally {
      await d.stop();
    }
  } finally {
    await rs.stop();
  }
  return readLines(rs.authLog);
}

/**
 * logwatch's secure report on `log`, run in a private mount namespace whose /etc/logwatch holds
 * only our logwatch.conf: no machine's configuration, /var/log or /var/cache/logwatch is read or
 * written (logwatch has no option naming its configuration directory, and searches /var/log too
 * unless configured not to).
 */
function logwatchReport(log: readonly string[]): string {
  const dir = tempDir('xinetd-ts-logwatch-');
  for (const sub of ['etc/conf', 'etc/tmp', 'logs']) mkdirSync(join(dir, sub), { recursive: true });
  // TmpDir is seen through the mount (logwatch lowercases the value; temporary paths have capitals).
  writeFileSync(join(dir, 'etc/conf/logwatch.conf'), `TmpDir = /etc/logwatch/tmp\nAppendVarLogToLogDirs = No\nAppendVarAdmToLogDirs = No\nArchives = No\n`);
  writeFileSync(join(dir, 'logs/auth.log'), log.map((l) => `${l}\n`).join(''));
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0/etc" /etc/logwatch && exec "$@"', dir,
    LOGWATCH, '--service', 'secure', '--logdir', join(dir, 'logs'), '--range', 'All', '--detail', 'High', '--output', 'stdout', '--hostname', 'testhost'],
  { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `logwatch: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/**
 * The report with its start time and any pid (in an unmatched line) masked, and the services of
 * "Connections:" in name order: logwatch prints them in perl's hash order, which changes from run
 * to run.
 */
function comparable(report: string): string {
  const lines = report.replace(/Processing Initiated: .*/, 'Processing Initiated: TIME').replace(/pid=[1-9]\d*/g, 'pid=PID').split('\n');
  const first = lines.indexOf(' Connections:') + 1;
  if (first === 0) return lines.join('\n');
  let end = first;
  while (lines[end]?.startsWith('    ')) end++;
  const blocks: string[][] = [];
  for (const line of lines.slice(first, end)) {
    if (line.startsWith('    Service ')) blocks.push([line]);
    else blocks.at(-1)!.push(line);
  }
  blocks.sort((a, b) => a[0]!.localeCompare(b[0]!));
  return [...lines.slice(0, first), ...blocks.flat(), ...lines.slice(end)].join('\n');
}

test('logwatch reports the same connections, refusals and unmatched lines for xinetd-ts\'s syslog records as for xinetd\'s', async () => {
  assert.ok(existsSync(XINETD), `${XINETD} is needed (apt-get install xinetd; .ci/run does)`);
  assert.ok(existsSync(LOGWATCH), `${LOGWATCH} is needed (apt-get install logwatch; .ci/run does)`);
  const ident = await startIdentServer(IDENT, (r, l) => `${r} , ${l} : USERID : UNIX : alice`);
  try {
    const ports = await freePorts(5);
    // compatibility.md, "Address and libwrap checks of forked services run in the child": xinetd
    // also logs the fork (START, EXIT) of the refused `spawned` connection; xinetd-ts the FAIL alone.
    const reference = refusedBeforeLaunch('spawned')(await authLogOf(ports, XINETD));
    const ours = await authLogOf(ports);
    const expected = comparable(logwatchReport(reference));
    const actual = comparable(logwatchReport(ours));
    // The scenario reached logwatch: it lists the connections, the refusals and the lines it does not know.
    for (const seen of [/Service spawned \[Connection\(s\) per day\]:\n {7}127\.0\.0\.1: 2 Time\(s\)\n {7}127\.0\.0\.2: 1 Time\(s\)\n {7}Total Connections: 3/,
      /Service limited:\n {7}127\.0\.0\.1: 1 Time\(s\)/, /Service spawned:\n {7}127\.0\.0\.3: 1 Time\(s\)/, /Service daytime-stream:\n {7}127\.0\.0\.4: 1 Time\(s\)/,
      /xinetd: START: hostonly from=127\.0\.0\.2: 1 Time\(s\)/]) assert.match(expected, seen, `xinetd's report:\n${expected}\nits log:\n${reference.join('\n')}`);
    assert.equal(actual, expected, `xinetd-ts's log:\n${ours.join('\n')}\nxinetd's log:\n${reference.join('\n')}`);
  } finally {
    await ident.stop();
  }
});
