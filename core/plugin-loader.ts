import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PluginSpec } from './config/raw.js';
import { XinetdError } from './errors.js';
import { isPlugin, type XinetdPlugin } from './plugin.js';
import { importFailure } from './module-import-failure.js';
import { whyNotPlugin } from './plugin-shape.js';

export const where = (spec: PluginSpec) => `${spec.from.file}:${spec.from.line}`;

/** Resolve a specifier: paths relative to the file that named it, else an npm package name. */
export function resolvePluginPath(spec: PluginSpec): string {
  const s = spec.specifier;
  if (s.startsWith('./') || s.startsWith('../') || isAbsolute(s)) {
    const path = resolve(dirname(spec.from.file), s);
    if (!existsSync(path)) throw new XinetdError('XI_ERR_PLUGIN_NOT_FOUND', `plugin ${s} not found at ${path} (${where(spec)})`);
    return path;
  }
  for (const base of [spec.from.file, import.meta.url]) {
    try {
      return createRequire(base).resolve(s);
    } catch {
      // try the next base
    }
  }
  throw new XinetdError('XI_ERR_PLUGIN_NOT_FOUND', `plugin package ${s} cannot be resolved (${where(spec)})`);
}

/** Import and construct a plugin; anything wrong is fatal (a missing access plugin must not fail open). */
export async function loadPlugin(spec: PluginSpec): Promise<XinetdPlugin> {
  const path = resolvePluginPath(spec);
  let mod: unknown;
  try {
    mod = await import(pathToFileURL(path).href);
  } catch (error) {
    const cause = await importFailure(error, path);
    // Node runs no TypeScript of its own (20), or only some of it: the plugin is listed compiled.
    const hint = /\.[cm]?ts$/.test(path) ? '; list the JavaScript file tsc compiles it to (docs/plugins.md)' : '';
    throw new XinetdError('XI_ERR_PLUGIN_IMPORT', `plugin ${spec.specifier} failed while being imported: ${cause}${hint} (${where(spec)})`, { cause: error });
  }
  const namespace = mod as object;
  let exported = (mod as { default?: unknown }).default ?? mod;
  if (typeof exported === 'object' && exported !== null && 'default' in exported) exported = (exported as { default: unknown }).default;
  let plugin: unknown = exported;
  if (typeof exported === 'function') {
    try {
      plugin = (exported as (o?: unknown) => unknown)(spec.options);
    } catch (error) {
      throw new XinetdError('XI_ERR_PLUGIN_APPLY', `plugin ${spec.specifier}: its factory threw: ${(error as Error).message} (${where(spec)})`, { cause: error });
    }
  }
  if (!isPlugin(plugin)) {
    throw new XinetdError('XI_ERR_PLUGIN_SHAPE', `plugin ${spec.specifier} must export a factory returning { name, apply(daemon) } as its default export: ${whyNotPlugin(namespace, exported, plugin)} (${where(spec)})`);
  }
  return plugin;
}

/** A load-time error about a plugin, with the file:line that listed it (once). */
export function locatedAt(error: unknown, spec: PluginSpec): unknown {
  if (!(error instanceof XinetdError) || error.message.endsWith(`(${where(spec)})`)) return error;
  return new XinetdError(error.code, `${error.message} (${where(spec)})`, { cause: error });
}
