import { existsSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { parseInetdConf } from './inetd-conf.js';
import type { RawConfig } from './raw.js';
import { Breather } from './breather.js';
import { parseClassicConfig, parseClassicConfigSliced } from './xinetd-conf.js';

export const DEFAULT_CONFIG = '/etc/xinetd.conf';

const STRUCTURED = new Set(['.json', '.yaml', '.yml', '.js', '.mjs', '.cjs']);

/** Whether a file holds the structured (cosmiconfig) form rather than xinetd.conf syntax. */
export function isStructured(file: string): boolean {
  const name = basename(file);
  return STRUCTURED.has(extname(name)) || name === '.xinetd-tsrc' || name === 'package.json';
}

/**
 * Read the configuration fresh from disk (never a cached copy): the named file in either form,
 * or a cosmiconfig search from the cwd, or /etc/xinetd.conf; then inetd.conf if asked.
 */
/** cosmiconfig (and the YAML and JSON parsers it pulls in) is loaded only when a structured file is read or searched for. */
async function loadStructured(options: { file?: string; searchFrom?: string; breathe?: () => Promise<void> | undefined }): Promise<RawConfig | undefined> {
  const { loadStructuredConfig } = await import('./cosmiconfig.js');
  return loadStructuredConfig(options);
}

export async function loadConfiguration(options: { file?: string; inetdConf?: string; sliceMs?: number }): Promise<RawConfig> {
  // A reload reads the configuration and its includes in slices (one file of /etc/xinetd.d per
  // service, 1,000 of them, take ~40-80 ms to read).
  const breather = options.sliceMs === undefined ? undefined : new Breather(options.sliceMs);
  const breathe = breather ? () => breather.breathe() : undefined;
  const classic = (file: string) => (breathe ? parseClassicConfigSliced(file, breathe) : parseClassicConfig(file));
  let raw: RawConfig | undefined;
  if (options.file) {
    const file = resolve(options.file);
    raw = isStructured(file) ? await loadStructured({ file, breathe }) : await classic(file);
  } else {
    raw = await loadStructured({ searchFrom: process.cwd(), breathe });
  }
  raw ??= await classic(DEFAULT_CONFIG);
  if (options.inetdConf && existsSync(options.inetdConf)) {
    const inetd = parseInetdConf(options.inetdConf);
    raw = {
      ...raw,
      sections: [...raw.sections, ...inetd.sections],
      diagnostics: [...raw.diagnostics, ...inetd.diagnostics],
      files: [...raw.files, resolve(options.inetdConf)],
    };
  }
  return raw;
}
