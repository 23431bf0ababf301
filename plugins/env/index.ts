import { readFileSync } from 'node:fs';
import { DUMP_STAGE } from '../../core/config/attribute-dump.js';
import { AttributeError } from '../../core/config/attributes.js';
import type { Daemon } from '../../core/daemon.js';
import { peerText } from '../../core/connection.js';
import { definePlugin } from '../../core/plugin.js';
import { textFromBytes } from '../../core/raw-text.js';
import type { ServiceConfig } from '../../core/service-config.js';

const PLUGIN_NAME = 'xinetd-ts:env';

/** Variables of the daemon's own that never reach servers. */
const PRIVATE = /^(XINETD_TS_|NODE_CHANNEL_)/;

/**
 * env and passenv (reference 11.4): the base is the daemon's environment captured at start;
 * `passenv` narrows it, `env` adds to it, and every server gets REMOTE_HOST.
 */
export default definePlugin(() => ({
  name: PLUGIN_NAME,
  apply(daemon: Daemon) {
    const daemonEnv = startEnvironment();
    const startNames = new Set(daemonEnv.map(([k]) => k));
    const startEnv = daemonEnv.filter(([k]) => !PRIVATE.test(k));
    const env = daemon.attributes.define({
      name: 'env', owner: PLUGIN_NAME, arity: 'list', where: 'service', noRemove: true,
      parse(values) {
        for (const v of values) if (!v.includes('=')) throw new AttributeError(`${v} has no '='`);
        return [...values];
      },
      doc: { values: 'NAME=value ...', default: 'none', description: 'Variables added to the server environment (values cannot contain blanks in xinetd.conf).' },
      // After Passenv, as in xinetd; the strings are the servers' environment once env or passenv changed it.
      dump: {
        stage: DUMP_STAGE.ENVIRONMENT + 1,
        always: true,
        lines(added, ctx) {
          if (!ctx.service) return [];
          const lines = added?.length ? ['Environment additions:', ...added.map((kv) => `\t${kv}`)] : [];
          const base = baseEnv.get(ctx.service);
          if (base && (added?.length || ctx.values.has(passenv))) lines.push('Environment strings:', ...base.map((kv) => `\t${kv}`));
          return lines;
        },
      },
    });
    const passenv = daemon.attributes.define({
      name: 'passenv', owner: PLUGIN_NAME, arity: 'list', where: 'both', inherit: 'entry',
      parse(values, ctx) {
        const known = values.filter((name) => startNames.has(name));
        for (const name of values) if (!startNames.has(name)) ctx.warn(`undefined environment variable: ${name}`);
        return known;
      },
      doc: { values: 'variable names', default: "the daemon's whole environment", description: 'Only these variables of the daemon environment are passed (empty: none).' },
      dump: { stage: DUMP_STAGE.ENVIRONMENT, lines: (names) => [`Passenv =${(names ?? []).map((n) => ` ${n}`).join('')}`] },
    });
    const baseEnv = new WeakMap<ServiceConfig, readonly string[]>();
    // Most services pass the whole environment and add nothing: they share one array (a
    // thousand services would otherwise hold a thousand copies of the daemon's environment).
    let wholeEnv: readonly string[] | undefined;
    daemon.hooks.checkService.tap(PLUGIN_NAME, (service) => {
      // Services served inside the daemon run no program: no environment to build.
      if (service.types.has('INTERNAL') || daemon.inProcessOwner(service)) return;
      const names = service.values.get(passenv);
      if (names === undefined && (service.values.get(env) ?? []).length === 0) {
        wholeEnv ??= Object.freeze(startEnv.filter(([k]) => k !== 'REMOTE_HOST').map(([k, v]) => `${k}=${v}`));
        baseEnv.set(service, wholeEnv);
        return;
      }
      // As xinetd: passenv's variables in the order it names them (each once), then env's.
      const base = names === undefined ? startEnv : [...new Set(names)].flatMap((name) => startEnv.filter(([k]) => k === name));
      const merged = new Map(base);
      for (const kv of service.values.get(env) ?? []) {
        const i = kv.indexOf('=');
        merged.set(kv.slice(0, i), kv.slice(i + 1));
      }
      merged.delete('REMOTE_HOST');
      baseEnv.set(service, Object.freeze([...merged].map(([k, v]) => `${k}=${v}`)));
    });
    daemon.hooks.prepare.tap({ name: PLUGIN_NAME, applies: (s) => baseEnv.has(s) }, (spec, conn) => {
      const base = baseEnv.get(conn.service);
      if (!base) return spec;
      return { ...spec, env: [...base, `REMOTE_HOST=${peerText(conn)}`] };
    });
  },
}));

/**
 * The daemon's environment as captured at start. Node decodes it as UTF-8, so a value with other
 * bytes is read again from /proc/self/environ (the block the daemon was started with), keeping
 * those bytes (core/raw-text.ts): xinetd passes them on unchanged.
 */
function startEnvironment(): [string, string][] {
  const entries = Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined);
  if (!entries.some(([k, v]) => k.includes('\uFFFD') || v.includes('\uFFFD'))) return entries;
  const raw = new Map<string, string>();
  try {
    for (const entry of readFileSync('/proc/self/environ').toString('latin1').split('\0')) {
      const bytes = Buffer.from(entry, 'latin1');
      raw.set(bytes.toString('utf8'), textFromBytes(bytes));
    }
  } catch {
    return entries;
  }
  return entries.map(([k, v]) => {
    const kept = raw.get(`${k}=${v}`);
    if (kept === undefined) return [k, v];
    const eq = kept.indexOf('=');
    return [kept.slice(0, eq), kept.slice(eq + 1)];
  });
}
