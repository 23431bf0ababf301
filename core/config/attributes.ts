import { XinetdError } from '../errors.js';
import type { AttributeDump } from './attribute-dump.js';
import type { Operator, SourceLocation } from './raw.js';

/**
 * How many values an attribute takes, after xinetd's parse table:
 * a number = exactly that many (a wrong count is a warning and the line is ignored);
 * 'many' = one or more, `=` only; 'list' = zero or more, and `+=` / `-=` are allowed.
 */
export type Arity = number | 'many' | 'list';

/** Where an attribute may be written. */
export type Where = 'service' | 'defaults' | 'both';

/**
 * How a value written in `defaults` reaches services (reference 1.5):
 * 'entry' = copied into a service when its entry starts (so position matters and a service's
 * `+=`/`-=` work on it); 'end' = applied after all files are read to services that did not set it;
 * 'both' = copied at entry start, and also filled at the end for services placed before defaults;
 * 'none' = a defaults-only setting read from the defaults themselves.
 */
export type Inherit = 'entry' | 'end' | 'both' | 'none';

export interface ParseContext {
  /** Service name, or undefined while parsing `defaults`. */
  readonly service: string | undefined;
  readonly at: SourceLocation;
  /** Where each value was written, parallel to the values (list attributes merge several lines). */
  readonly tokenAt?: readonly SourceLocation[];
  /**
   * A non-fatal problem with one value; the attribute stays. Logged at xinetd's level for the
   * message: WARNING unless `level` says otherwise (`failed to parse X` is an ERROR there).
   */
  warn(message: string, level?: 'warning' | 'error'): void;
}

export interface AttributeDoc {
  /** The values, as a user writes them, e.g. `yes | no`. */
  readonly values: string;
  /** The value in effect when the attribute is absent, in words. */
  readonly default: string;
  readonly description: string;
}

export interface AttributeSpec<T> {
  readonly name: string;
  /** The owning plugin's name (docs/configuration.md shows it). */
  readonly owner: string;
  readonly arity: Arity;
  readonly where: Where;
  /** Default 'end' when the attribute is allowed in defaults. */
  readonly inherit?: Inherit;
  /** `-=` is refused (xinetd's `env`). */
  readonly noRemove?: boolean;
  /**
   * Turn the tokens into a typed value. Throw an `AttributeError` to reject the value: the
   * service is disabled (or, in defaults, the configuration is refused) with its message.
   */
  parse(values: readonly string[], ctx: ParseContext): T;
  /** The value `get()` returns when the attribute is absent. */
  readonly default?: T;
  readonly doc: AttributeDoc;
  /** Its lines in the SIGUSR1 state dump (default: `name = value` when set). */
  readonly dump?: AttributeDump<T>;
}

/** A typed handle returned by `define`; use it with `ServiceConfig.get`. */
export interface AttributeKey<T> {
  readonly name: string;
  /** Phantom member carrying the value type. */
  readonly __type?: () => T;
}

/** Thrown by an attribute parser to reject a value (the message is what xinetd logs). */
export class AttributeError extends Error {
  /**
   * `level` is the message's level only; the line is a value error either way. xinetd logs some
   * of these (a bad flag, a bad type) as warnings before it drops the service.
   */
  constructor(message: string, readonly level: 'error' | 'warning' = 'error') {
    super(message);
    this.name = 'AttributeError';
  }
}

/**
 * Thrown by a parser when a line has a number of values xinetd does not take for the attribute
 * (reference 1.3): xinetd's warning, and the line is ignored as if it were not written (the
 * service stays, with the defaults' value), where a bad value would disable the service.
 */
export class WrongValueCount extends AttributeError {
  constructor(readonly expected: number, readonly given: number) {
    super(`expects ${expected} values and ${given} values were specified`, 'warning');
    this.name = 'WrongValueCount';
  }
}

export interface FlagSpec {
  readonly name: string;
  readonly owner: string;
  readonly description: string;
}

const WHERE: readonly unknown[] = ['service', 'defaults', 'both'] satisfies Where[];
const INHERIT: readonly unknown[] = ['entry', 'end', 'both', 'none'] satisfies Inherit[];

/**
 * A plain-JavaScript plugin gets no type check: a wrong declaration is refused here, while the
 * plugin is applied (so the error names the plugin and the line that listed it), rather than
 * failing later, at the first service that uses the attribute, as an unexplained TypeError.
 */
function checkSpec(spec: AttributeSpec<unknown>): void {
  const name = typeof spec?.name === 'string' ? spec.name : String(spec?.name);
  const wrong = (what: string) => {
    throw new Error(`attribute ${name}: ${what}`);
  };
  if (typeof spec?.name !== 'string' || !/^[A-Za-z][A-Za-z0-9_]*$/.test(spec.name)) wrong('name must be a word of letters, digits and _');
  if (typeof spec.owner !== 'string' || spec.owner === '') wrong('owner must be the plugin name');
  const arity: unknown = spec.arity;
  if (!(arity === 'many' || arity === 'list' || (typeof arity === 'number' && Number.isInteger(arity) && arity > 0))) wrong(`arity must be a positive integer, 'many' or 'list', not ${String(arity)}`);
  if (!WHERE.includes(spec.where)) wrong(`where must be 'service', 'defaults' or 'both', not ${String(spec.where)}`);
  if (spec.inherit !== undefined && !INHERIT.includes(spec.inherit)) wrong(`inherit must be 'entry', 'end', 'both' or 'none', not ${String(spec.inherit)}`);
  if (typeof spec.parse !== 'function') wrong('parse must be a function');
  const doc: Partial<AttributeDoc> | undefined = spec.doc;
  if (typeof doc?.values !== 'string' || typeof doc.default !== 'string' || typeof doc.description !== 'string') wrong('doc must be { values, default, description } (strings)');
}

interface StoredSpec extends AttributeSpec<unknown> {
  readonly inherit: Inherit;
}

/**
 * The single place where attributes and flag words are defined. Each plugin defines the
 * attributes it owns in `apply()`; the parser and resolver stay generic.
 */
export class AttributeRegistry {
  readonly #specs = new Map<string, StoredSpec>();
  readonly #flags = new Map<string, FlagSpec>();

  define<T>(spec: AttributeSpec<T>): AttributeKey<T> {
    checkSpec(spec);
    const key = spec.name.toLowerCase();
    const existing = this.#specs.get(key);
    if (existing) {
      throw new XinetdError(
        'XI_ERR_ATTRIBUTE_DUPLICATE',
        `attribute ${spec.name} is defined by both ${existing.owner} and ${spec.owner}`,
      );
    }
    const inherit: Inherit = spec.inherit ?? (spec.where === 'service' ? 'none' : 'end');
    this.#specs.set(key, { ...(spec as AttributeSpec<unknown>), inherit });
    return { name: key };
  }

  defineFlag(flag: FlagSpec): string {
    const key = flag.name.toUpperCase();
    const existing = this.#flags.get(key);
    if (existing) {
      throw new XinetdError(
        'XI_ERR_ATTRIBUTE_DUPLICATE',
        `flag ${flag.name} is defined by both ${existing.owner} and ${flag.owner}`,
      );
    }
    this.#flags.set(key, flag);
    return key;
  }

  lookup(name: string): StoredSpec | undefined {
    return this.#specs.get(name.toLowerCase());
  }

  /** The canonical spelling of a flag word, or undefined if no plugin defined it. */
  flag(word: string): FlagSpec | undefined {
    return this.#flags.get(word.toUpperCase());
  }

  attributes(): StoredSpec[] {
    return [...this.#specs.values()];
  }

  flags(): FlagSpec[] {
    return [...this.#flags.values()];
  }
}

export function operatorAllowed(spec: AttributeSpec<unknown>, op: Operator): boolean {
  if (op === '=') return true;
  if (spec.arity !== 'list') return false;
  return !(op === '-=' && spec.noRemove);
}
