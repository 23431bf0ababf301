import { AsyncSeriesBailHook, AsyncSeriesHook, SyncWaterfallHook } from 'tapable';
import type { DaemonHooks, ServiceTapOptions } from './hooks.js';
import type { ServiceConfig } from './service-config.js';
import { tapError } from './tap-errors.js';

/** The per-connection hooks. */
const STAGES = ['accept', 'authorize', 'limit', 'decided', 'prepare', 'launch'] as const;
type Stage = (typeof STAGES)[number];

/**
 * One service's pipeline: each per-connection hook with only the taps that apply to the
 * service (`applies`, see ServiceTapOptions), or undefined when none does. Built on the first
 * connection of a service and configuration, and again whenever a plugin taps a hook.
 */
export type ServiceHooks = { readonly [K in Stage]: DaemonHooks[K] | undefined };

/** tapable's tap record (its typings do not export it), with our option. */
interface TapRecord extends ServiceTapOptions {
  readonly name: string;
  readonly stage?: number;
  readonly before?: string | string[];
  readonly type: 'sync' | 'async' | 'promise';
  readonly fn: (...args: never[]) => unknown;
}

interface AnyHook {
  readonly taps: readonly TapRecord[];
  readonly interceptors: readonly Record<string, unknown>[];
  tap(options: object, fn: unknown): void;
  tapAsync(options: object, fn: unknown): void;
  tapPromise(options: object, fn: unknown): void;
  intercept(interceptor: object): void;
}

const built = new WeakMap<ServiceConfig, { readonly version: number; readonly hooks: ServiceHooks }>();

function tapsOf(hook: unknown): number {
  const h = hook as AnyHook;
  return h.taps.length * 1024 + h.interceptors.length;
}

/**
 * Changes whenever a per-connection hook gets a tap or an interceptor (tapable never removes one).
 * Runs per connection: each hook by name (a loop over STAGES made every read megamorphic).
 */
function versionOf(h: DaemonHooks): number {
  return tapsOf(h.accept) + tapsOf(h.authorize) + tapsOf(h.limit) + tapsOf(h.decided) + tapsOf(h.prepare) + tapsOf(h.launch);
}

export function serviceHooks(hooks: DaemonHooks, service: ServiceConfig): ServiceHooks {
  const version = versionOf(hooks);
  const cached = built.get(service);
  if (cached && cached.version === version) return cached.hooks;
  const result = {} as { [K in Stage]: DaemonHooks[K] | undefined };
  for (const stage of STAGES) (result as Record<Stage, unknown>)[stage] = narrow(hooks[stage] as unknown as AnyHook, stage, service);
  const frozen = Object.freeze(result);
  built.set(service, { version, hooks: frozen });
  return frozen;
}

/** A new, empty hook of the same class and arguments. */
function fresh(stage: Stage, hook: AnyHook): AnyHook {
  type Make = new (args: readonly string[]) => unknown;
  const args = (hook as unknown as { _args: readonly string[] })._args;
  const make = (stage === 'accept' || stage === 'decided' ? AsyncSeriesHook : stage === 'prepare' ? SyncWaterfallHook : AsyncSeriesBailHook) as unknown as Make;
  return new make(args) as AnyHook;
}

/** A throwing `applies` is the plugin's error: the caller fails the connection closed, naming it. */
function applies(tap: TapRecord, service: ServiceConfig): boolean {
  try {
    return tap.applies!(service);
  } catch (thrown) {
    const text = thrown instanceof Error ? thrown.message : String(thrown);
    throw tapError(tap.name, new Error(`its applies(${service.id}) threw: ${text}`));
  }
}

function narrow(hook: AnyHook, stage: Stage, service: ServiceConfig): unknown {
  const taps = hook.taps.filter((t) => t.applies === undefined || applies(t, service));
  // Interceptors that act at call time (a third party's tracing) must see this service's calls;
  // `register` ones already changed the taps (refusal stamping) and must not run twice.
  const callTime = hook.interceptors.filter((i) => Object.keys(i).some((k) => k !== 'register' && k !== 'name' && i[k] !== undefined));
  if (taps.length === hook.taps.length) return taps.length === 0 && callTime.length === 0 ? undefined : hook;
  if (taps.length === 0 && callTime.length === 0) return undefined;
  const copy = fresh(stage, hook);
  for (const i of callTime) copy.intercept({ ...i, register: undefined });
  for (const t of taps) {
    // Already in the global hook's order; stage and before keep it so.
    const options = { name: t.name, stage: t.stage, before: t.before };
    if (t.type === 'sync') copy.tap(options, t.fn);
    else if (t.type === 'async') copy.tapAsync(options, t.fn);
    else copy.tapPromise(options, t.fn);
  }
  return copy;
}
