/**
 * `npm run bench`: xinetd-ts against Debian's xinetd (and openbsd-inetd for UDP echo when it
 * is there), one daemon after the other on the same configuration, loopback only. Prints
 * Markdown tables (docs/performance.md holds the latest). Bounded: a watchdog stops everything
 * after 9.5 minutes. Not part of `npm test`.
 *
 * Environment: BENCH_SECONDS (measured seconds per cell, default 2), BENCH_ROUNDS (default 2,
 * best kept; UDP cells at least 3), BENCH_XINETD,
 * BENCH_OPENBSD_INETD (paths), BENCH_JSON (write the raw results there), BENCH_ONLY (a regular
 * expression: only the scenarios whose name matches, and only the extra facts it names:
 * `thousand`, `bundled`, `openbsd`), BENCH_CLIENTS (e.g. `8,64`).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchConfig, benchConfigSplit, openbsdInetdConfig, type BenchPorts } from './bench-config.js';
import { findBinaries, firstConnection, live, startDaemon, type DaemonKind, type RunningDaemon } from './daemons.js';
import { portBlock, udpFree } from './ports.js';
import { factsTable, scenarioTable, type Cell, type DaemonFacts, type ScenarioRow } from './report.js';
import { buildTools, runLoad, type LoadMode, type Tools } from './tools.js';

const SECONDS = Math.min(10, Math.max(0.5, Number(process.env.BENCH_SECONDS ?? 2)));
/** Measurements per cell and daemon; the best is kept. */
const ROUNDS = Math.min(5, Math.max(1, Number(process.env.BENCH_ROUNDS ?? 2)));
/**
 * UDP echo cells get at least three: a datagram ping-pong's rate depends on whether the
 * scheduler put the daemon and the load generator on one CPU for that cell (pinned together,
 * both xinetd-ts and openbsd-inetd drop to about 60 % of their rate), and a cell is only 2 s.
 */
const UDP_ROUNDS = Math.max(ROUNDS, 3);
const roundsOf = (s: { readonly mode: string }): number => (s.mode === 'udp' ? UDP_ROUNDS : ROUNDS);
const CLIENTS: readonly number[] = process.env.BENCH_CLIENTS ? process.env.BENCH_CLIENTS.split(',').map(Number).filter((n) => n > 0 && n <= 256) : [1, 8, 64];
/** Only what BENCH_ONLY matches (everything when unset): for measuring one change at a time. */
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;
const wanted = (name: string): boolean => !ONLY || ONLY.test(name);
const THOUSAND = 1000;
const root = fileURLToPath(new URL('../../../', import.meta.url));

interface Scenario {
  readonly name: string;
  readonly unit: ScenarioRow['unit'];
  readonly mode: LoadMode;
  readonly port: (p: BenchPorts) => number;
  readonly address: string;
  readonly size: number;
}

const ALL_SCENARIOS: readonly Scenario[] = [
  { name: 'spawned hello', unit: 'conn/s', mode: 'close', port: (p) => p.hello, address: '127.0.0.1', size: 0 },
  { name: 'spawned /bin/cat echo, 64 B', unit: 'conn/s', mode: 'echo', port: (p) => p.cat, address: '127.0.0.1', size: 64 },
  { name: 'internal echo, 64 B', unit: 'conn/s', mode: 'echo', port: (p) => p.echo, address: '127.0.0.1', size: 64 },
  { name: 'internal daytime', unit: 'conn/s', mode: 'close', port: (p) => p.daytime, address: '127.0.0.1', size: 0 },
  { name: 'bulk chargen (read)', unit: 'MB/s', mode: 'read', port: (p) => p.chargen, address: '127.0.0.1', size: 0 },
  { name: 'bulk echo (write+read)', unit: 'MB/s', mode: 'pipe', port: (p) => p.echo, address: '127.0.0.1', size: 0 },
  { name: 'bulk discard (write)', unit: 'MB/s', mode: 'write', port: (p) => p.discard, address: '127.0.0.1', size: 0 },
  { name: 'UDP echo, 64 B, ::1', unit: 'req/s', mode: 'udp', port: (p) => p.udpEcho, address: '::1', size: 64 },
];

const SCENARIOS = ALL_SCENARIOS.filter((s) => wanted(s.name));

const key = (s: string, c: number): string => `${s}/${c}`;

async function measure(d: RunningDaemon, tools: Tools, s: Scenario, port: number, clients: number): Promise<Cell> {
  const cpu0 = d.cpuSeconds();
  const result = await runLoad(tools, s.mode, s.address, port, clients, SECONDS, s.size);
  const cpu = d.cpuSeconds() - cpu0;
  // Per operation; for bulk transfers per 64 KiB moved.
  const ops = s.unit === 'MB/s' ? result.allBytes / 65536 : result.allOps;
  return { result, daemonCpuUsPerOp: ops > 0 ? (cpu / ops) * 1e6 : Number.NaN };
}

function log(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

/** The UDP echo cells also measure openbsd-inetd when it is there (it serves on port 7 only). */
function openbsdWanted(bin: ReturnType<typeof findBinaries>): boolean {
  return Boolean(bin.openbsdInetd) && SCENARIOS.some((s) => s.mode === 'udp') && (!ONLY || wanted('openbsd') || wanted('UDP'));
}

/** openbsd-inetd with UDP echo on [::1]:7, once it answers (bounded); undefined when it cannot run. */
async function startOpenbsdInetd(dir: string, tools: Tools): Promise<RunningDaemon | undefined> {
  if (!(await udpFree(7))) {
    log('port 7 on ::1 is busy: skipping openbsd-inetd');
    return undefined;
  }
  const conf = join(dir, 'inetd.conf');
  writeFileSync(conf, openbsdInetdConfig());
  const d = startDaemon('openbsd-inetd', findBinaries(root), conf, dir);
  for (let i = 0; i < 50; i++) {
    const r = await runLoad(tools, 'udp', '::1', 7, 1, 0.1, 64);
    if (r.ops > 0) return d;
  }
  await d.stop();
  log('openbsd-inetd did not answer on [::1]:7: skipping it');
  return undefined;
}

/**
 * Every scenario at every concurrency. The daemons run at once, each on its own copy of the
 * configuration (only the ports differ), but only one is ever under load: each cell is measured
 * on one daemon right after the other, rotating which goes first, ROUNDS times, and the best
 * round is kept. On a machine shared with other work this compares them under the same
 * conditions instead of whichever minute each happened to get. openbsd-inetd takes part in the
 * UDP echo cells the same way.
 *
 * Before the first measured cell every daemon serves every connection and request scenario
 * once (8 clients, 0.5 s after the load generator's own warm-up), unmeasured: a daemon that has
 * run for a while is what is compared, not the first second after start (for xinetd-ts, the
 * JIT's warm-up fell on the first cell, hello at 1 client).
 */
async function runAll(kinds: readonly DaemonKind[], dir: string, tools: Tools, setups: ReadonlyMap<DaemonKind, { ports: BenchPorts; config: string }>, cells: Map<string, Map<string, Cell>>, facts: DaemonFacts[]): Promise<boolean> {
  const bin = findBinaries(root);
  const daemons = new Map<DaemonKind, RunningDaemon>();
  const first = new Map<DaemonKind, number>();
  const idle = new Map<DaemonKind, number>();
  const portOf = (kind: DaemonKind, s: Scenario): number => (kind === 'openbsd-inetd' ? 7 : s.port(setups.get(kind)!.ports));
  try {
    for (const kind of kinds) {
      const { ports, config } = setups.get(kind)!;
      const d = startDaemon(kind, bin, config, dir);
      daemons.set(kind, d);
      const ms = await firstConnection(d, '127.0.0.1', ports.daytime);
      if (ms === undefined) throw new Error(`${kind} did not serve daytime on port ${ports.daytime}`);
      first.set(kind, ms);
      await new Promise((r) => setTimeout(r, 300));
      idle.set(kind, daemons.get(kind)!.memory('VmRSS'));
    }
    const inetd = openbsdWanted(bin) ? await startOpenbsdInetd(dir, tools) : undefined;
    if (inetd) daemons.set('openbsd-inetd', inetd);
    const participants = (s: Scenario): DaemonKind[] => (s.mode === 'udp' && inetd ? [...kinds, 'openbsd-inetd'] : [...kinds]);
    log('warm-up: every connection and request scenario once on every daemon, not measured');
    // Not the bulk ones: they grow the daemon's heap, and the connection cells would then be
    // measured against a larger heap than the order of the table implies.
    for (const s of SCENARIOS.filter((x) => x.unit !== 'MB/s')) {
      for (const kind of participants(s)) await runLoad(tools, s.mode, s.address, portOf(kind, s), 8, 0.5, s.size);
    }
    let round = 0;
    for (const s of SCENARIOS) {
      for (const c of CLIENTS) {
        const best = new Map<DaemonKind, Cell>();
        const who = participants(s);
        for (let r = 0; r < roundsOf(s); r++) {
          const start = round++ % who.length;
          for (const kind of [...who.slice(start), ...who.slice(0, start)]) {
            const cell = await measure(daemons.get(kind)!, tools, s, portOf(kind, s), c);
            const v = (x: Cell): number => (s.unit === 'MB/s' ? x.result.mbps : x.result.rate);
            const prev = best.get(kind);
            if (!prev || v(cell) > v(prev)) best.set(kind, cell);
          }
        }
        for (const [kind, cell] of best) {
          log(`${kind.padEnd(13)} ${s.name} x${c}: ${s.unit === 'MB/s' ? `${cell.result.mbps.toFixed(1)} MB/s` : `${cell.result.rate.toFixed(0)} ${s.unit}`} p99 ${cell.result.p99ms.toFixed(2)} ms errors ${cell.result.errors} peak RSS so far ${daemons.get(kind)!.memory('VmHWM').toFixed(1)} MB`);
          if (!cells.has(key(s.name, c))) cells.set(key(s.name, c), new Map());
          cells.get(key(s.name, c))!.set(kind, cell);
        }
      }
    }
    for (const kind of kinds) facts.push({ name: kind, firstConnectionMs: first.get(kind), idleRssMb: idle.get(kind), peakRssMb: daemons.get(kind)!.memory('VmHWM') });
    return inetd !== undefined;
  } finally {
    await Promise.all([...daemons.values()].map((d) => d.stop()));
  }
}

/** Start-up, rate and reload with 1,000 services configured, in one file and one file each. */
async function runThousand(kind: DaemonKind, dir: string, tools: Tools, ports: BenchPorts, extra: readonly number[], hello: string, fact: DaemonFacts): Promise<DaemonFacts> {
  const options = { ports, hello, serviceLog: join(dir, `thousand-${kind}-services.log`), extraPorts: extra };
  const conf = join(dir, `thousand-${kind}.conf`);
  writeFileSync(conf, benchConfig(options));
  const last = extra[extra.length - 1]!;
  let d = startDaemon(kind, findBinaries(root), conf, dir);
  let measured: Omit<NonNullable<DaemonFacts['thousand']>, 'splitReloadMaxMs' | 'splitReloadConfirmed'>;
  let peak: number;
  try {
    const first = await firstConnection(d, '127.0.0.1', last);
    await new Promise((r) => setTimeout(r, 300));
    const idle = d.memory('VmRSS');
    const hello8 = (await runLoad(tools, 'close', '127.0.0.1', ports.hello, 8, SECONDS)).rate;
    const hello64 = (await runLoad(tools, 'close', '127.0.0.1', ports.hello, 64, SECONDS)).rate;
    const reload = await reloadStall(kind, d, dir, tools, ports);
    measured = { firstConnectionMs: first, idleRssMb: idle, hello8, hello64, reloadMaxMs: reload.maxMs, reloadConfirmed: reload.confirmed };
    peak = d.memory('VmHWM');
  } finally {
    await d.stop();
  }
  // The layout of /etc/xinetd.d: the main file has `includedir`, every service a file.
  const split = join(dir, `thousand-${kind}-split.conf`);
  writeFileSync(split, benchConfigSplit(options, join(dir, `thousand-${kind}.d`)));
  d = startDaemon(kind, findBinaries(root), split, dir);
  try {
    await firstConnection(d, '127.0.0.1', last);
    await new Promise((r) => setTimeout(r, 300));
    const reload = await reloadStall(kind, d, dir, tools, ports);
    peak = Math.max(peak, d.memory('VmHWM'));
    return {
      ...fact,
      peakRssMb: Math.max(fact.peakRssMb ?? 0, peak),
      thousand: { ...measured, splitReloadMaxMs: reload.maxMs, splitReloadConfirmed: reload.confirmed },
    };
  } finally {
    await d.stop();
  }
}

/** Reload while daytime is under load (8 clients): the longest connection is the accept stall. */
async function reloadStall(kind: DaemonKind, d: RunningDaemon, dir: string, tools: Tools, ports: BenchPorts): Promise<{ maxMs: number; confirmed: boolean }> {
  const messages = join(dir, `${kind}-messages.log`);
  const before = readText(messages).length;
  const load = runLoad(tools, 'close', '127.0.0.1', ports.daytime, 8, 3);
  await new Promise((r) => setTimeout(r, 1500));
  d.child.kill('SIGHUP');
  const during = await load;
  const after = readText(messages).slice(before);
  const confirmed = kind === 'xinetd-ts' ? /Reconfigured/.test(after) : /[Rr]econfig|readjust|Starting reconfiguration/.test(after);
  return { maxMs: during.maxms, confirmed };
}

/**
 * First connection with the bundled example configuration (daytime on 127.0.0.1:7013): the
 * median of three starts. One start is one sample of a ~150 ms event on a shared host, and it
 * runs right after the 1,000-service daemon stopped; single samples ranged 140-220 ms.
 */
async function bundledStart(kind: DaemonKind, dir: string): Promise<number | undefined> {
  const conf = join(root, 'docs', 'examples', 'xinetd.conf');
  if (!existsSync(conf)) return undefined;
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    const d = startDaemon(kind, findBinaries(root), conf, dir);
    try {
      const ms = await firstConnection(d, '127.0.0.1', 7013, 5000);
      if (ms === undefined) return undefined;
      samples.push(ms);
    } finally {
      await d.stop();
    }
  }
  return samples.sort((a, b) => a - b)[1];
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the benchmark runs the daemons as root (servers use user = root)');
  if (!existsSync(join(root, 'dist', 'native', 'xinetd-ts-launcher'))) throw new Error('run `npm run build` first');
  const dir = mkdtempSync('/tmp/xinetd-ts-bench-');
  const cleanup = async (): Promise<void> => {
    await Promise.all([...live].map((d) => d.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  const watchdog = setTimeout(() => {
    log('time limit (9.5 min) reached: stopping');
    void cleanup().then(() => process.exit(2));
  }, 570_000);
  // Interrupted or killed: the daemons and clients it started go with it.
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  process.once('SIGTERM', () => void cleanup().then(() => process.exit(143)));
  try {
    const tools = buildTools(root, dir);
    const bin = findBinaries(root);
    const block = await portBlock(THOUSAND + 7);
    const portsAt = (i: number): BenchPorts => ({ hello: block[i]!, cat: block[i + 1]!, echo: block[i + 2]!, daytime: block[i + 3]!, chargen: block[i + 4]!, discard: block[i + 5]!, udpEcho: block[i + 6]! });
    // The 1,000-service runs use ports[0..] plus `extra`; the side-by-side runs a second set for xinetd.
    const ports = portsAt(0);
    const extra = block.slice(7, THOUSAND);
    const kinds: DaemonKind[] = ['xinetd-ts', ...(bin.xinetd ? (['xinetd'] as const) : [])];
    const setups = new Map<DaemonKind, { ports: BenchPorts; config: string }>();
    for (const [i, kind] of kinds.entries()) {
      const p = portsAt(i === 0 ? 0 : THOUSAND);
      const config = join(dir, `bench-${kind}.conf`);
      writeFileSync(config, benchConfig({ ports: p, hello: tools.hello, serviceLog: join(dir, `${kind}-services.log`) }));
      setups.set(kind, { ports: p, config });
    }
    if (!bin.xinetd) log('xinetd not found (apt-get install -y xinetd): measuring xinetd-ts alone');
    log(`${SECONDS} s per cell after 0.5 s warm-up, best of ${ROUNDS} (UDP ${UDP_ROUNDS}), after one unmeasured pass; ports ${block[0]}-${block[block.length - 1]}`);
    const cells = new Map<string, Map<string, Cell>>();
    let facts: DaemonFacts[] = [];
    const withInetd = await runAll(kinds, dir, tools, setups, cells, facts);
    const withThousand: DaemonFacts[] = [];
    for (const f of facts) {
      const kind = f.name as DaemonKind;
      if (ONLY) {
        withThousand.push({ ...(wanted('thousand') ? await runThousand(kind, dir, tools, ports, extra, tools.hello, f) : f), bundledFirstConnectionMs: wanted('bundled') ? await bundledStart(kind, dir) : undefined });
        continue;
      }
      log(`${kind}: ${THOUSAND} services`);
      const t = await runThousand(kind, dir, tools, ports, extra, tools.hello, f);
      withThousand.push({ ...t, bundledFirstConnectionMs: await bundledStart(kind, dir) });
    }
    facts = withThousand;
    const rows: ScenarioRow[] = [];
    for (const s of SCENARIOS) {
      for (const c of CLIENTS) {
        const m = cells.get(key(s.name, c));
        const theirsName = s.mode === 'udp' && withInetd ? 'openbsd-inetd' : 'xinetd';
        rows.push({ scenario: s.name, unit: s.unit, clients: c, ours: m?.get('xinetd-ts'), theirs: m?.get(theirsName), theirsName });
      }
      if (s.mode === 'udp' && withInetd) {
        for (const c of CLIENTS) {
          const m = cells.get(key(s.name, c));
          rows.push({ scenario: s.name, unit: s.unit, clients: c, ours: m?.get('xinetd-ts'), theirs: m?.get('xinetd'), theirsName: 'xinetd' });
        }
      }
    }
    const cpu = cpus();
    const machine = `${cpu.length} x ${cpu[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${SECONDS} s per cell, best of ${ROUNDS} (UDP ${UDP_ROUNDS})`;
    const text = [`Machine: ${machine}`, '', scenarioTable(rows), '', factsTable(facts), ''].join('\n');
    process.stdout.write(text);
    if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ machine, rows, facts }, null, 2));
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
