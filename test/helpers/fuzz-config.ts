/**
 * What the configuration fuzz tests share: the corpora they mutate, the grammar's dictionary,
 * a daemon with every built-in plugin (its registry and checks), a resolver that never leaves the
 * machine, and the property every diagnostic must have: a file:line that exists.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import type { Diagnostic, SourceLocation } from '../../core/config/raw.js';
import { resolveConfig, type ResolvedConfig } from '../../core/config/resolve.js';
import type { RawConfig } from '../../core/config/raw.js';
import { Daemon } from '../../core/daemon.js';
import { builtinPlugins } from '../../plugins/index.js';
import { ROOT } from './daemon.js';

const read = (...parts: string[]) => readFileSync(join(ROOT, ...parts), 'utf8');

/** Every classic configuration the repository ships or tests with (the Debian layout included). */
export function classicCorpus(): string[] {
  const debian = join('test/fixtures/conf/debian/xinetd.d');
  return [
    ...readdirSync(join(ROOT, 'docs/examples')).filter((f) => f.endsWith('.conf')).map((f) => read('docs/examples', f)),
    read('test/fixtures/conf/debian/xinetd.conf'),
    ...readdirSync(join(ROOT, debian)).sort().map((f) => read(debian, f)),
    read('test/fixtures/rc/classic.d/daytime'),
    EVERY_ATTRIBUTE,
  ];
}

/** A value for every attribute the built-in plugins define, once in defaults and once in a service. */
const EVERY_ATTRIBUTE = `defaults
{
\tlog_type       = FILE log/xinetd.log 10K 20K
\tlog_on_success = PID HOST USERID EXIT DURATION TRAFFIC
\tlog_on_failure += HOST USERID ATTEMPT
\tonly_from      = 127.0.0.1 10.0.0.0 192.168.{1,2} ::1 fe80::/10 .example.com localhost 128.138
\tno_access      = 10.1.2.3/32 10.9.0.0/255.255.0.0
\tpassenv        = PATH HOME
\tinstances      = 30
\tper_source     = 10 /64
\tcps            = 50 10
\tmax_load       = 2.5
\tumask          = 022
\tgroups         = yes
\tv6only         = no
\tbind           = 127.0.0.1
\tbanner         = /dev/null
\tbanner_success = banner.ok
\tbanner_fail    = banner.fail
\tredirect_timeout = 5
\tsyslog_tag     = xinetd
\tsyslog_server  = udp://127.0.0.1:514 rfc5424
\tlog_json       = log/records.json
\tenabled        = echo-stream ftp
\tdisabled       = tftp
\tdisabled       += daytime
}

service ftp
{
\tsocket_type    = stream
\tprotocol       = tcp
\twait           = no
\tuser           = root
\tgroup          = root
\tserver         = /bin/cat
\tserver_args    = -u # not a comment
\tflags          = REUSE NODELAY KEEPALIVE IPv4 NAMEINARGS NORETRY NOLIBWRAP
\tenv            = A=1 B=two
\tenv            += C=
\tpassenv        -= HOME
\tnice           = 10
\trlimit_as      = 64M
\trlimit_cpu     = UNLIMITED
\trlimit_data    = 1024K
\trlimit_rss     = 8M
\trlimit_stack   = 1M
\trlimit_files   = 1024
\taccess_times   = 08:00-12:00 13:00-24:00
\tlibwrap        = in.ftpd
\tinterface      = 127.0.0.1
\tid             = ftp-main
\tinstances      = UNLIMITED
\tdeny_time      = FOREVER
\tlog_type       = SYSLOG daemon info
}

service echo
{
\tid          = echo-stream
\ttype        = INTERNAL UNLISTED
\tsocket_type = stream
\twait        = no
\tport        = 18450
\tonly_from  -= 10.0.0.0
\tno_access  += 0.0.0.0/0
}

service forward
{
\ttype        = UNLISTED
\tsocket_type = stream
\tprotocol    = tcp
\twait        = no
\tport        = 18451
\tredirect    = 127.0.0.1 18452 localhost ssh
}

service rstatd
{
\ttype        = RPC UNLISTED
\trpc_number  = 100001
\trpc_version = 2-4
\tsocket_type = dgram
\tprotocol    = udp
\twait        = yes
\tuser        = root
\tserver      = /bin/true
\tdisable     = no
}

service honeypot
{
\ttype        = UNLISTED
\tflags       = SENSOR
\tsocket_type = stream
\tport        = 18453
\twait        = no
\tdeny_time   = 10
\tlog_type    = SYSLOG local7
}

include missing-file
includedir missing-dir
`;

/** Words of the grammar and of every attribute, and values that stress their parsers. */
export function classicDictionary(daemon: Daemon): string[] {
  return [
    'defaults', 'service', 'include', 'includedir', '{', '}', '=', '+=', '-=', '#', '=+', '==', '+', '-',
    ...daemon.attributes.attributes().map((a) => a.name),
    ...daemon.attributes.flags().map((f) => f.name),
    'INTERNAL', 'UNLISTED', 'RPC', 'TCPMUX', 'TCPMUXPLUS', 'SPECIAL', 'stream', 'dgram', 'raw', 'seqpacket', 'tcp', 'udp', 'icmp',
    'yes', 'no', 'YES', 'UNLIMITED', 'FOREVER', 'NEVER', 'FILE', 'SYSLOG', 'daemon', 'local7', 'info', 'debug',
    '0', '-1', '1', '65535', '65536', '4294967296', '18446744073709551615', '18446744073709551616', '99999999999999999999999', '1e9', '0x10', '010', '1.5', '-0', '+5', 'NaN', 'Infinity',
    '127.0.0.1', '0.0.0.0', '::', '::1', '::ffff:127.0.0.1', '10.0.0.0/8', '1.2.3.4/99', '1.2.{3,4}', '1.2.{,}', '{', ',', '.', '..', '.example.com', 'localhost', '[::1]', 'fe80::1%lo', 'fe80::%lo', '::%1', 'fe80::%a.b', '::ffff:1.2.3.4%lo',
    '08:00-17:00', '24:00-25:00', '23:59-00:00', '1:2-3:4', '10K', '10M', '5G', '/64', '/0', '/129',
    'udp://127.0.0.1:514', 'tcp://[::1]', 'udp://', 'rfc5424', '/bin/true', '/nonexistent', 'PATH', 'A=1', '=', 'A==', 'root', 'nobody', '0', '65534', '-',
    '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype', 'valueOf',
  ];
}

/** A daemon with every built-in plugin: its registry, netdb and checkService hook. */
export function fuzzDaemon(): Daemon {
  const daemon = new Daemon({});
  for (const plugin of builtinPlugins()) daemon.use(plugin);
  return daemon;
}

/** resolveConfig as the daemon runs it; `sliceMs` as a reload does. */
export function resolveWith(daemon: Daemon, raw: RawConfig, sliceMs?: number): Promise<ResolvedConfig> {
  return resolveConfig(raw, {
    registry: daemon.attributes,
    keys: daemon.keys,
    netdb: daemon.netdb,
    check: (service, report) => daemon.hooks.checkService.call(service, report),
    sliceMs,
  });
}

/**
 * Forward look-ups (a host name in `bind`) answered without the network: numeric addresses and
 * `localhost` resolve, every other name does not. Fuzzed names must never reach a DNS server.
 */
export function offlineLookups(): void {
  const require = createRequire(import.meta.url);
  const promises = require('node:dns/promises') as { lookup: unknown };
  const callbacks = require('node:dns') as { promises: { lookup: unknown } };
  const lookup = async (host: string, options?: { family?: number } | number) => {
    const family = typeof options === 'number' ? options : options?.family ?? 0;
    const address = isIP(host) ? host : host.toLowerCase() === 'localhost' ? (family === 6 ? '::1' : '127.0.0.1') : undefined;
    if (address === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', hostname: host });
    return { address, family: isIP(address) };
  };
  promises.lookup = lookup;
  callbacks.promises.lookup = lookup;
  syncBuiltinESMExports();
}

/** Lines of each file as the parsers count them (a last line without its newline counts). */
export function lineCounts(files: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const file of files) {
    const text = readFileSync(file, 'latin1');
    counts.set(file, Math.max(1, text.split('\n').length - (text.endsWith('\n') ? 1 : 0)));
  }
  return counts;
}

/** Every error and warning of a resolution names a line that exists in a file that was read. */
export function assertProblemsLocated(diagnostics: readonly Diagnostic[], counts: ReadonlyMap<string, number>): void {
  for (const d of diagnostics) {
    if (d.level === 'error' || d.level === 'warning') assertDiagnosticLocated(d, counts);
  }
}

/** xinetd's message for an includedir entry it skips (a sub-directory, a FIFO): it names the entry, no line. */
const SKIPPED_ENTRY = /^(\/.*) is not a regular file\. It is being skipped\.$/;

/**
 * A diagnostic names a line that exists in a file that was read or, as xinetd's, the entry it
 * skipped. `context` ends the failure's message.
 */
export function assertDiagnosticLocated(d: Diagnostic, counts: ReadonlyMap<string, number>, context = ''): void {
  const skipped = d.at === undefined ? SKIPPED_ENTRY.exec(d.message) : null;
  if (skipped) assert.ok(existsSync(skipped[1]!) && !statSync(skipped[1]!).isFile(), `"${d.message}": no such entry${context}`);
  else assertLocated(d.at, counts, `${d.level} "${d.message}"${context}`);
}

/** `at` names a file that was read and a line that exists in it. */
export function assertLocated(at: SourceLocation | undefined, counts: ReadonlyMap<string, number>, what: string): void {
  assert.ok(at, `${what}: no file:line`);
  const lines = counts.get(at.file);
  assert.ok(lines !== undefined, `${what}: names ${at.file}, which was not read (read: ${[...counts.keys()].join(', ')})`);
  assert.ok(Number.isInteger(at.line) && at.line >= 1 && at.line <= lines, `${what}: line ${at.line} of ${at.file}, which has ${lines} lines`);
}
