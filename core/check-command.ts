import type { ResolvedConfig } from './config/resolve.js';
import type { Daemon } from './daemon.js';

interface CheckRow {
  readonly name: string;
  readonly id: string;
  readonly status: 'active' | 'disabled' | 'error';
  readonly reason?: string;
  readonly socket_type?: string;
  readonly protocol?: string;
  readonly port?: number;
  readonly wait?: boolean;
  readonly at: string;
  readonly attributes?: Record<string, unknown>;
}

/**
 * A value as JSON shows it, at any depth: JSON has no Infinity (it would print null), no bigint
 * (it would throw: an IPv6 only_from entry holds one), no Set and no Map.
 */
const show = (v: unknown): unknown => {
  if (v === Number.POSITIVE_INFINITY) return 'UNLIMITED';
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Set) return [...v];
  if (v instanceof Map) return Object.fromEntries(v);
  return v;
};

const toJson = (v: unknown, indent?: number): string => JSON.stringify(v, (_key, value: unknown) => show(value), indent);

/** A value on one line: words for lists of words, JSON for structured values (a log_type, redirect targets). */
const showText = (v: unknown): string => {
  if (Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null)) return v.join(' ');
  return typeof v === 'object' && v !== null ? toJson(v) : String(v);
};

export function checkRows(config: ResolvedConfig): CheckRow[] {
  const rows: CheckRow[] = config.services.map((s) => ({
    name: s.name,
    id: s.id,
    status: 'active',
    socket_type: s.socketType,
    protocol: s.protocol,
    // An RPC service's port is the kernel's choice, known only once it is bound.
    port: s.types.has('RPC') ? undefined : s.port,
    wait: s.wait,
    at: `${s.at.file}:${s.at.line}`,
    attributes: Object.fromEntries(s.values.entries().map(([k, v]) => [k, show(v)])),
  }));
  for (const s of config.skipped) {
    rows.push({ name: s.name, id: s.id, status: s.reason ? 'error' : 'disabled', reason: s.reason || undefined, at: `${s.at.file}:${s.at.line}` });
  }
  return rows;
}

/** `xinetd-ts check`: validate without binding; a table or JSON; exit 1 on any error. */
export async function runCheck(daemon: Daemon, json: boolean, out: NodeJS.WritableStream): Promise<number> {
  const config = await daemon.loadConfig();
  const rows = checkRows(config);
  const problems = config.diagnostics.filter((d) => d.level === 'error' || d.level === 'warning');
  const errors = config.fatal || config.diagnostics.some((d) => d.level === 'error');
  if (json) {
    out.write(`${toJson({ ok: !errors, services: rows, diagnostics: problems }, 2)}\n`);
    return errors ? 1 : 0;
  }
  for (const d of problems) out.write(`${d.at ? `${d.at.file}:${d.at.line}: ` : ''}${d.level}: ${d.message}\n`);
  if (problems.length > 0) out.write('\n');
  const header = ['SERVICE', 'ID', 'STATUS', 'SOCKET', 'PROTO', 'PORT', 'WAIT', 'WHERE'];
  const table = rows.map((r) => [r.name, r.id, r.status === 'error' ? `error: ${r.reason}` : r.status, r.socket_type ?? '-', r.protocol ?? '-', r.port === undefined ? '-' : String(r.port), r.wait === undefined ? '-' : r.wait ? 'yes' : 'no', r.at]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  for (const r of [header, ...table]) out.write(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}\n`);
  for (const r of rows) {
    if (r.status !== 'active') continue;
    out.write(`\n${r.id}:\n`);
    for (const [k, v] of Object.entries(r.attributes ?? {})) out.write(`  ${k} = ${showText(v)}\n`);
  }
  out.write(`\n${config.services.length} active, ${rows.length - config.services.length} not started${errors ? ', errors found' : ''}\n`);
  return errors ? 1 : 0;
}
