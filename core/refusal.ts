/**
 * A refusal is a value, not an exception: the tap that returns it stops the authorize or limit
 * chain. The core stamps `by` with the refusing tap's name; plugins need not fill it in.
 */
export type XinetdRefusalCode =
  | 'address'
  | 'time'
  | 'libwrap'
  | 'service_limit'
  | 'per_source_limit'
  | 'process_limit'
  | 'load'
  | 'connections per second'
  | 'no available descriptors'
  | 'fork'
  | 'internal_error';

/** xinetd's reasons, or `x-<plugin>` for third-party ones. */
export type RefusalCode = XinetdRefusalCode | `x-${string}`;

export interface Refusal {
  /** Printed after the id in the FAIL record, exactly as xinetd spells it. */
  readonly code: RefusalCode;
  /** Why, for humans and the JSON log (e.g. which rule of which file). */
  readonly detail?: string;
  /** The plugin (tap) that refused; set by the core. */
  readonly by?: string;
}

export type Decision = { readonly admitted: true } | { readonly admitted: false; readonly refusal: Refusal };

export function refuse(code: RefusalCode, detail?: string): Refusal {
  return detail === undefined ? { code } : { code, detail };
}
