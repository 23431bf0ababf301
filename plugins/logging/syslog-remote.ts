import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import type syslog from 'syslog-client';
import type { SyslogServer } from './attributes.js';
import { SinkHealth, type Report } from '../../core/log-file/sink-health.js';

/** syslog-client is loaded on the first remote message, not at start-up (most configurations never use it). */
let library: typeof syslog | undefined;
const syslogClient = (): typeof syslog => (library ??= createRequire(import.meta.url)('syslog-client') as typeof syslog);

/** Messages handed to syslog-client and not yet acknowledged; more are dropped. */
const MAX_IN_FLIGHT = 1000;
/** After a failure, messages are dropped (counted) for this long before the next attempt. */
const RETRY_MS = 1000;

/**
 * A remote syslog server over UDP or TCP, RFC 3164 or RFC 5424, through syslog-client. Facility
 * and severity travel with every message (syslog-client's constructor turns facility 0 into
 * local0). A failure is reported once; the next attempt is made at most once a second, and the
 * first message that gets through reports the recovery.
 */
export class RemoteSyslog {
  readonly #server: SyslogServer;
  readonly #health: SinkHealth;
  readonly #hostname = hostname();
  #client: syslog.Client | undefined;
  #inFlight = 0;
  #retryAt = 0;
  #closed = false;

  constructor(server: SyslogServer, report: Report) {
    this.#server = server;
    this.#health = new SinkHealth(`syslog server ${server.transport}://${server.host}:${server.port}`, report);
  }

  send(text: string, facility: number, severity: number, time: number, tag: string): void {
    if (this.#closed) return;
    if (Date.now() < this.#retryAt) return this.#health.lost();
    if (this.#inFlight >= MAX_IN_FLIGHT) {
      this.#health.failed('the server is not keeping up');
      return this.#health.lost();
    }
    const client = this.#client ?? this.#connect();
    const rfc3164 = this.#server.format === 'rfc3164';
    this.#inFlight++;
    client.log(rfc3164 ? `${tag}[${process.pid}]: ${text}` : text, {
      facility: facility as syslog.Facility,
      severity: severity as syslog.Severity,
      rfc3164,
      appName: tag,
      syslogHostname: this.#hostname,
      timestamp: new Date(time),
    }, (error) => {
      if (client !== this.#client) return; // a discarded connection
      this.#inFlight--;
      if (error) {
        this.#health.lost();
        this.#down(client, error);
      } else {
        this.#health.recovered();
      }
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    client?.close();
  }

  #connect(): syslog.Client {
    const { host, port, transport } = this.#server;
    const lib = syslogClient();
    const client = lib.createClient(host, {
      port,
      transport: transport === 'tcp' ? lib.Transport.Tcp : lib.Transport.Udp,
      // syslog-client uses this as an idle timeout too; a quiet service is not a failure.
      tcpTimeout: 2 ** 31 - 1,
    });
    client.on('error', (error: Error) => this.#down(client, error));
    this.#client = client;
    this.#inFlight = 0;
    return client;
  }

  #down(client: syslog.Client, error: Error): void {
    if (client !== this.#client) return;
    this.#client = undefined;
    this.#inFlight = 0;
    this.#retryAt = Date.now() + RETRY_MS;
    this.#health.failed(error.message);
    try {
      client.close();
    } catch {
      // already closed
    }
  }
}
