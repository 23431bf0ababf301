import type { Daemon } from './daemon.js';

/**
 * A plugin: a name, optional dependencies on other plugins' names, and `apply`, which taps the
 * daemon's hooks and defines the attributes the plugin owns. Applied once per process.
 */
export interface XinetdPlugin {
  readonly name: string;
  readonly dependencies?: readonly string[];
  apply(daemon: Daemon): void;
}

/** A module's default export: a factory taking the options given in configuration. */
export type PluginFactory<Options = unknown> = (options?: Options) => XinetdPlugin;

/** Identity helper that types a plugin factory (the counterpart of fastify-plugin). */
export function definePlugin<Options = unknown>(factory: PluginFactory<Options>): PluginFactory<Options> {
  return factory;
}

export function isPlugin(value: unknown): value is XinetdPlugin {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as Record<string, unknown>;
  return typeof p.name === 'string' && p.name.length > 0 && typeof p.apply === 'function';
}
