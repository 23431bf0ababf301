import type { NetDb } from '../netdb.js';
import type { AttributeValues, ServiceConfig } from '../service-config.js';

/**
 * Where an attribute's lines go in the SIGUSR1 state dump: xinetd's order (its sc_dump), so a
 * sysadmin finds each fact where xinetd puts it. Same stage: attribute registration order.
 * Attributes xinetd does not dump come last (OTHER).
 */
export const DUMP_STAGE = Object.freeze({
  IDENTITY: 100,
  INSTANCES: 200,
  WAIT: 300,
  CREDENTIALS: 400,
  RATE: 500,
  BIND: 600,
  SERVER: 700,
  ACCESS_TIMES: 800,
  ADDRESSES: 900,
  SENSOR: 1000,
  LOGGING: 1100,
  ENVIRONMENT: 1200,
  OTHER: 2000,
});

/** What an attribute's dump lines may read besides its own value. */
export interface DumpContext {
  /** The entry's values: a service's (defaults merged in) or the `defaults` section's. */
  readonly values: AttributeValues;
  /** undefined while dumping `Service defaults`. */
  readonly service: ServiceConfig | undefined;
  readonly netdb: NetDb;
}

/**
 * How an attribute appears in the state dump. Without one, a set attribute is dumped as
 * `name = value`, after xinetd's lines.
 */
export interface AttributeDump<T> {
  readonly stage: number;
  /** Also called when the attribute is unset (xinetd always shows only_from, no_access, logging). */
  readonly always?: boolean;
  /**
   * The lines, without indentation; a line starting with a tab is nested one level deeper.
   * `value` is the attribute's value, or its declared default (or undefined) when unset.
   */
  lines(value: T | undefined, ctx: DumpContext): readonly string[];
}

const NOTHING = Object.freeze({ stage: DUMP_STAGE.OTHER, lines: () => [] });

/** For attributes already shown by another attribute's lines (server_args in `Server argv`). */
export function shownElsewhere<T>(): AttributeDump<T> {
  return NOTHING;
}
