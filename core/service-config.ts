import type { AttributeKey } from './config/attributes.js';
import type { SourceLocation } from './config/raw.js';

export type SocketType = 'stream' | 'dgram' | 'raw' | 'seqpacket';

/** The attribute values of one resolved entry, typed through `AttributeKey`s. */
export class AttributeValues {
  readonly #values: ReadonlyMap<string, unknown>;
  readonly #defaults: ReadonlyMap<string, unknown>;
  readonly #fromDefaults: ReadonlySet<string>;

  constructor(
    values: ReadonlyMap<string, unknown>,
    defaults: ReadonlyMap<string, unknown>,
    fromDefaults: ReadonlySet<string> = new Set(),
  ) {
    this.#values = values;
    this.#defaults = defaults;
    this.#fromDefaults = fromDefaults;
  }

  /** The value, or the attribute's declared default when absent. */
  get<T>(key: AttributeKey<T>): T | undefined {
    return (this.#values.has(key.name) ? this.#values.get(key.name) : this.#defaults.get(key.name)) as
      | T
      | undefined;
  }

  /** Whether the entry (or, for services, the defaults it inherited) set the attribute. */
  has(key: AttributeKey<unknown>): boolean {
    return this.#values.has(key.name);
  }

  /** True when the value came from the `defaults` entry rather than the service itself. */
  inherited(key: AttributeKey<unknown>): boolean {
    return this.#fromDefaults.has(key.name);
  }

  /** Every set attribute, for `check` and the state dump. */
  entries(): [string, unknown][] {
    return [...this.#values.entries()];
  }
}

/**
 * One service after defaults are merged and every value is parsed. Immutable: a reload makes a
 * new one, and a running connection keeps the one it was accepted with.
 */
export interface ServiceConfig {
  /** The name after `service` (used for /etc/services, internal services, libwrap). */
  readonly name: string;
  /** `id`, defaulting to the name (used in log lines, enabled/disabled, reload matching). */
  readonly id: string;
  readonly types: ReadonlySet<string>;
  readonly flags: ReadonlySet<string>;
  readonly socketType: SocketType;
  readonly protocol: string;
  /** 0 for services without their own socket (tcpmux clients). */
  readonly port: number;
  /** Numeric bind address, when set. */
  readonly bind: string | undefined;
  readonly wait: boolean;
  /** `v6only` as written in the service (undefined when not written). */
  readonly v6only: boolean | undefined;
  readonly at: SourceLocation;
  readonly origin: 'xinetd' | 'inetd';
  readonly values: AttributeValues;
  /** Identity for reload matching: same key => same listener and running servers kept. */
  readonly identity: string;
  /** Address family chosen for the listener. */
  readonly family: 'IPv4' | 'IPv6';
}

export function isInternal(config: ServiceConfig): boolean {
  return config.types.has('INTERNAL');
}
