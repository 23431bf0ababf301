import { readFileSync } from 'node:fs';

/**
 * Look-ups in /etc/services, /etc/protocols, /etc/rpc, /etc/passwd and /etc/group, read once per
 * configuration generation (never on the per-connection path). The paths can be overridden
 * through the environment for tests that must not depend on the machine's own files.
 */
export interface NetDb {
  servicePort(name: string, protocol: string): number | undefined;
  /** Service name for a port (used by itox/redirect); undefined when unknown. */
  hasProtocol(name: string): boolean;
  /** The /etc/protocols number of a protocol name (the state dump shows it). */
  protocolNumber(name: string): number | undefined;
  /** The /etc/rpc program number of an RPC service name or alias (getrpcbyname). */
  rpcProgram(name: string): number | undefined;
  user(nameOrId: string): UserEntry | undefined;
  group(nameOrId: string): GroupEntry | undefined;
}

export interface UserEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

export interface GroupEntry {
  readonly name: string;
  readonly gid: number;
}

function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n');
  } catch {
    return [];
  }
}

function withoutComment(line: string): string[] {
  const hash = line.indexOf('#');
  return (hash >= 0 ? line.slice(0, hash) : line).trim().split(/\s+/).filter(Boolean);
}

export function loadNetDb(env: NodeJS.ProcessEnv = process.env): NetDb {
  const services = new Map<string, number>();
  for (const line of readLines(env.XINETD_TS_SERVICES ?? '/etc/services')) {
    const [name, portProto, ...aliases] = withoutComment(line);
    if (!name || !portProto) continue;
    const [port, proto] = portProto.split('/');
    const n = Number(port);
    if (!Number.isInteger(n) || !proto) continue;
    for (const alias of [name, ...aliases]) {
      const key = `${alias}/${proto.toLowerCase()}`;
      if (!services.has(key)) services.set(key, n);
    }
  }
  const protocols = new Map<string, number>();
  for (const line of readLines(env.XINETD_TS_PROTOCOLS ?? '/etc/protocols')) {
    const [name, number, ...aliases] = withoutComment(line);
    if (name) for (const p of [name, ...aliases]) if (!protocols.has(p.toLowerCase())) protocols.set(p.toLowerCase(), Number(number));
  }
  if (protocols.size === 0) for (const [p, n] of [['tcp', 6], ['udp', 17], ['ip', 0], ['icmp', 1]] as const) protocols.set(p, n);
  const rpcPrograms = new Map<string, number>();
  for (const line of readLines(env.XINETD_TS_RPC ?? '/etc/rpc')) {
    const [name, number, ...aliases] = withoutComment(line);
    if (!name || !number || !/^\d+$/.test(number)) continue;
    for (const alias of [name, ...aliases]) if (!rpcPrograms.has(alias)) rpcPrograms.set(alias, Number(number));
  }
  const users = new Map<string, UserEntry>();
  const usersById = new Map<number, UserEntry>();
  for (const line of readLines('/etc/passwd')) {
    const [name, , uid, gid] = line.split(':');
    if (!name || uid === undefined || gid === undefined) continue;
    const entry = { name, uid: Number(uid), gid: Number(gid) };
    if (!users.has(name)) users.set(name, entry);
    if (!usersById.has(entry.uid)) usersById.set(entry.uid, entry);
  }
  const groups = new Map<string, GroupEntry>();
  const groupsById = new Map<number, GroupEntry>();
  for (const line of readLines('/etc/group')) {
    const [name, , gid] = line.split(':');
    if (!name || gid === undefined) continue;
    const entry = { name, gid: Number(gid) };
    if (!groups.has(name)) groups.set(name, entry);
    if (!groupsById.has(entry.gid)) groupsById.set(entry.gid, entry);
  }
  const numeric = (s: string) => /^\d+$/.test(s);
  return {
    servicePort: (name, protocol) => services.get(`${name}/${protocol.toLowerCase()}`),
    hasProtocol: (name) => protocols.has(name.toLowerCase()),
    protocolNumber(name) {
      const n = protocols.get(name.toLowerCase());
      return Number.isInteger(n) ? n : undefined;
    },
    rpcProgram: (name) => rpcPrograms.get(name),
    user(nameOrId) {
      if (!numeric(nameOrId)) return users.get(nameOrId);
      // A numeric user sets the gid to the same number (xinetd, reference 2).
      const uid = Number(nameOrId);
      return { name: usersById.get(uid)?.name ?? nameOrId, uid, gid: uid };
    },
    group(nameOrId) {
      if (!numeric(nameOrId)) return groups.get(nameOrId);
      const gid = Number(nameOrId);
      return { name: groupsById.get(gid)?.name ?? nameOrId, gid };
    },
  };
}
