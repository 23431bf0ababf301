/**
 * Why a plugin module's export is not a plugin, in words its author can act on: the
 * XI_ERR_PLUGIN_SHAPE message says what was found, not only what was expected.
 */
export function whyNotPlugin(mod: object, exported: unknown, plugin: unknown): string {
  if (exported === mod && !('default' in mod)) {
    const names = Object.keys(mod);
    return names.length === 0 ? 'it exports nothing' : `it has no default export (it exports ${names.join(', ')})`;
  }
  return `${typeof exported === 'function' ? 'its factory returned' : 'its default export is'} ${described(plugin)}`;
}

function described(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value !== 'object') return `a ${typeof value}`;
  const v = value as Record<string, unknown>;
  // An async factory: the daemon applies plugins synchronously, before anything listens.
  if (typeof v.then === 'function') return 'a Promise: the factory must return the plugin itself (do asynchronous work in a ready tap)';
  const missing: string[] = [];
  if (typeof v.name !== 'string' || v.name.length === 0) missing.push('a name (a non-empty string)');
  if (typeof v.apply !== 'function') missing.push('an apply(daemon) function');
  return `an object without ${missing.join(' and ')}`;
}
