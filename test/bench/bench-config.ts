/**
 * The configuration both daemons run: the same text for xinetd-ts and xinetd, loopback only,
 * with the limits that would otherwise throttle a benchmark (xinetd's default cps is 50 10)
 * opened up, and the usual records (START/EXIT with PID, HOST, DURATION) written to a file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchPorts {
  readonly hello: number;
  readonly cat: number;
  readonly echo: number;
  readonly daytime: number;
  readonly chargen: number;
  readonly discard: number;
  /** UDP echo, bound to ::1 (openbsd-inetd only answers loopback datagrams over IPv6). */
  readonly udpEcho: number;
}

export interface BenchConfigOptions {
  readonly ports: BenchPorts;
  readonly hello: string;
  readonly serviceLog: string;
  /** Extra spawned services (the 1,000-service run), on these ports. */
  readonly extraPorts?: readonly number[];
}

function spawned(name: string, port: number, server: string, args = ''): string {
  return `service ${name}
{
	type        = UNLISTED
	socket_type = stream
	protocol    = tcp
	wait        = no
	user        = root
	bind        = 127.0.0.1
	port        = ${port}
	server      = ${server}${args ? `\n\tserver_args = ${args}` : ''}
}
`;
}

function internal(name: string, id: string, port: number, dgram = false): string {
  return `service ${name}
{
	id          = ${id}
	type        = INTERNAL UNLISTED
	socket_type = ${dgram ? 'dgram' : 'stream'}
	protocol    = ${dgram ? 'udp' : 'tcp'}
	wait        = ${dgram ? 'yes' : 'no'}
	bind        = ${dgram ? '::1' : '127.0.0.1'}
	port        = ${port}
}
`;
}

export function benchConfig(o: BenchConfigOptions): string {
  return benchEntries(o).join('\n');
}

/**
 * The same configuration laid out as Debian's: the `defaults` entry and `includedir DIR` in the
 * main file, each service in a file of its own in DIR (written here). Returns the main file's text.
 */
export function benchConfigSplit(o: BenchConfigOptions, dir: string): string {
  const [defaults, ...services] = benchEntries(o);
  mkdirSync(dir, { recursive: true });
  // No dot in the names: includedir skips those.
  for (const [i, text] of services.entries()) writeFileSync(join(dir, `service${i}`), text);
  return `${defaults}\nincludedir ${dir}\n`;
}

function benchEntries(o: BenchConfigOptions): string[] {
  const p = o.ports;
  const parts = [
    `defaults
{
	log_type       = FILE ${o.serviceLog}
	log_on_success = PID HOST EXIT DURATION
	log_on_failure = HOST
	instances      = UNLIMITED
	per_source     = UNLIMITED
	cps            = 1000000 1
}
`,
    spawned('hello', p.hello, o.hello),
    spawned('cat', p.cat, '/bin/cat'),
    internal('echo', 'echo-stream', p.echo),
    internal('daytime', 'daytime-stream', p.daytime),
    internal('chargen', 'chargen-stream', p.chargen),
    internal('discard', 'discard-stream', p.discard),
    internal('echo', 'echo-dgram', p.udpEcho, true),
  ];
  for (const [i, port] of (o.extraPorts ?? []).entries()) parts.push(spawned(`extra${i}`, port, o.hello));
  return parts;
}

/** openbsd-inetd's own syntax: it only knows services by name, so UDP echo is on port 7. */
export function openbsdInetdConfig(): string {
  return '[::1]:echo dgram udp6 wait root internal\n';
}
