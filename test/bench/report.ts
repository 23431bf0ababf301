/** The benchmark's printed tables (Markdown, so docs/performance.md can hold them as printed). */
import type { LoadResult } from './tools.js';

export interface Cell {
  readonly result: LoadResult;
  /** CPU time the daemon's own processes spent per operation (µs): the event-loop cost. */
  readonly daemonCpuUsPerOp: number;
}

export interface ScenarioRow {
  readonly scenario: string;
  readonly unit: 'conn/s' | 'MB/s' | 'req/s';
  readonly clients: number;
  readonly ours?: Cell;
  readonly theirs?: Cell;
  readonly theirsName: string;
}

const fmt = (n: number | undefined, digits = 0): string =>
  n === undefined || !Number.isFinite(n) ? '–' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function value(c: Cell | undefined, unit: ScenarioRow['unit']): number | undefined {
  if (!c) return undefined;
  return unit === 'MB/s' ? c.result.mbps : c.result.rate;
}

export function scenarioTable(rows: readonly ScenarioRow[]): string {
  const out = [
    '| scenario | clients | xinetd-ts | other | ratio | p50 ms (ts / other) | p99 ms (ts / other) | daemon CPU µs per op or per 64 KiB (ts / other) | errors (ts / other) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const a = value(r.ours, r.unit);
    const b = value(r.theirs, r.unit);
    const digits = r.unit === 'MB/s' ? 1 : 0;
    const ratio = a !== undefined && b ? (a / b).toFixed(2) + 'x' : '–';
    const lat = (c: Cell | undefined, k: 'p50ms' | 'p99ms'): string => (c && r.unit !== 'MB/s' ? c.result[k].toFixed(2) : '–');
    out.push(
      `| ${r.scenario} (${r.unit}) | ${r.clients} | ${fmt(a, digits)} | ${r.theirs ? `${fmt(b, digits)} (${r.theirsName})` : '–'} | ${ratio} | ` +
        `${lat(r.ours, 'p50ms')} / ${lat(r.theirs, 'p50ms')} | ${lat(r.ours, 'p99ms')} / ${lat(r.theirs, 'p99ms')} | ` +
        `${fmt(r.ours?.daemonCpuUsPerOp)} / ${fmt(r.theirs?.daemonCpuUsPerOp)} | ${r.ours?.result.errors ?? '–'} / ${r.theirs?.result.errors ?? '–'} |`,
    );
  }
  return out.join('\n');
}

export interface DaemonFacts {
  readonly name: string;
  readonly firstConnectionMs?: number;
  readonly idleRssMb?: number;
  readonly peakRssMb?: number;
  readonly bundledFirstConnectionMs?: number;
  readonly thousand?: {
    readonly firstConnectionMs?: number;
    readonly idleRssMb?: number;
    readonly hello8?: number;
    readonly hello64?: number;
    readonly reloadMaxMs?: number;
    readonly reloadConfirmed: boolean;
    /** The same 1,000 services as includedir, one file each (Debian's /etc/xinetd.d). */
    readonly splitReloadMaxMs?: number;
    readonly splitReloadConfirmed?: boolean;
  };
}

export function factsTable(facts: readonly DaemonFacts[]): string {
  const ms = (n: number | undefined): string => (n === undefined ? '–' : `${n.toFixed(0)} ms`);
  const mb = (n: number | undefined): string => (n === undefined ? '–' : `${n.toFixed(1)} MB`);
  const rows = [
    ['first connection served after start (bench config)', (f: DaemonFacts) => ms(f.firstConnectionMs)],
    ['first connection served after start (bundled docs/examples/xinetd.conf, median of 3)', (f: DaemonFacts) => ms(f.bundledFirstConnectionMs)],
    ['daemon RSS idle (bench config)', (f: DaemonFacts) => mb(f.idleRssMb)],
    ['daemon RSS peak over the whole run', (f: DaemonFacts) => mb(f.peakRssMb)],
    ['1,000 services: first connection served after start', (f: DaemonFacts) => ms(f.thousand?.firstConnectionMs)],
    ['1,000 services: daemon RSS idle', (f: DaemonFacts) => mb(f.thousand?.idleRssMb)],
    ['1,000 services: spawned hello, 8 clients (conn/s)', (f: DaemonFacts) => fmt(f.thousand?.hello8)],
    ['1,000 services: spawned hello, 64 clients (conn/s)', (f: DaemonFacts) => fmt(f.thousand?.hello64)],
    [
      '1,000 services: longest daytime connection during a reload (SIGHUP)',
      (f: DaemonFacts) => (f.thousand ? `${ms(f.thousand.reloadMaxMs)}${f.thousand.reloadConfirmed ? '' : ' (reload not confirmed)'}` : '–'),
    ],
    [
      '1,000 services, one file each (includedir): longest daytime connection during a reload',
      (f: DaemonFacts) => (f.thousand?.splitReloadMaxMs !== undefined ? `${ms(f.thousand.splitReloadMaxMs)}${f.thousand.splitReloadConfirmed ? '' : ' (reload not confirmed)'}` : '–'),
    ],
  ] as const;
  const out = [`| | ${facts.map((f) => f.name).join(' | ')} |`, `|---|${facts.map(() => '---:').join('|')}|`];
  for (const [label, get] of rows) out.push(`| ${label} | ${facts.map((f) => get(f)).join(' | ')} |`);
  return out.join('\n');
}
