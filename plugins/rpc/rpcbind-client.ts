import net from 'node:net';
import { XdrReader, XdrWriter } from './xdr.js';

/** One rpcbind entry: what `rpcinfo` lists as program, version, netid and address. */
export interface RpcbindEntry {
  readonly program: number;
  readonly version: number;
  /** `udp`, `tcp`, `udp6` or `tcp6` (/etc/netconfig's names). */
  readonly netid: string;
  /** The universal address, `0.0.0.0.P1.P2` (RFC 5665): the port as two bytes. */
  readonly address: string;
}

const RPCBPROG = 100000;
const RPCBVERS = 3;
const RPCBPROC_SET = 1;
const RPCBPROC_UNSET = 2;
const RPCBPROC_DUMP = 4;
const LAST_FRAGMENT = 0x80000000;
/** A SET reply is a few dozen bytes; a DUMP lists every registration (a few dozen bytes each). */
const MAX_REPLY = 1 << 20;

/** The universal address of a port on every address of a family (what xinetd registers). */
export function universalAddress(family: 'IPv4' | 'IPv6', port: number): string {
  return `${family === 'IPv4' ? '0.0.0.0' : '::'}.${(port >> 8) & 0xff}.${port & 0xff}`;
}

/**
 * Calls rpcbind's SET and UNSET (protocol version 3) over its local socket, as libtirpc's
 * pmap_set does: rpcbind takes registrations only from local callers, and on that socket it
 * knows the caller's uid (so only root, or the owner, can remove an entry). One connection per
 * call, each bounded by `timeoutMs`.
 */
export class RpcbindClient {
  #xid = (Math.random() * 0x7fffffff) >>> 0;

  constructor(readonly socketPath = '/var/run/rpcbind.sock', readonly timeoutMs = 2000) {}

  /** True when rpcbind took the entry (false: it already holds one for that program, version and netid). */
  set(entry: RpcbindEntry): Promise<boolean> {
    return this.#call(RPCBPROC_SET, entry);
  }

  /** True when rpcbind removed something. */
  unset(entry: Pick<RpcbindEntry, 'program' | 'version' | 'netid'>): Promise<boolean> {
    return this.#call(RPCBPROC_UNSET, { ...entry, address: '' });
  }

  /** Every entry rpcbind holds (what `rpcinfo` lists). */
  dump(): Promise<RpcbindEntry[]> {
    return this.#call(RPCBPROC_DUMP, undefined, (r) => {
      const entries: RpcbindEntry[] = [];
      // A list: each item is preceded by "one more follows" (1), the end by 0.
      while (r.uint() !== 0) {
        const program = r.uint();
        const version = r.uint();
        const netid = r.string();
        const address = r.string();
        r.string(); // owner
        entries.push({ program, version, netid, address });
      }
      return entries;
    });
  }

  #call(proc: number, entry: RpcbindEntry): Promise<boolean>;
  #call<T>(proc: number, entry: undefined, result: (r: XdrReader) => T): Promise<T>;
  #call<T>(proc: number, entry: RpcbindEntry | undefined, result: (r: XdrReader) => T = (r) => (r.uint() !== 0) as T): Promise<T> {
    const xid = (this.#xid = (this.#xid + 1) >>> 0);
    const call = new XdrWriter()
      .uint(xid).uint(0 /* CALL */).uint(2 /* RPC version */).uint(RPCBPROG).uint(RPCBVERS).uint(proc)
      .uint(0).uint(0) // credentials: AUTH_NONE (the local socket tells rpcbind who calls)
      .uint(0).uint(0); // verifier: AUTH_NONE
    if (entry) {
      call.uint(entry.program).uint(entry.version).string(entry.netid).string(entry.address).string(String(process.geteuid?.() ?? 0));
    }
    const body = call.bytes();
    const mark = Buffer.alloc(4);
    mark.writeUInt32BE((LAST_FRAGMENT | body.length) >>> 0);
    return new Promise<T>((resolve, reject) => {
      const socket = net.connect(this.socketPath);
      let received = Buffer.alloc(0);
      const fail = (error: Error) => {
        socket.destroy();
        reject(error);
      };
      socket.setTimeout(this.timeoutMs, () => fail(new Error(`no answer from rpcbind in ${this.timeoutMs} ms`)));
      socket.on('error', fail);
      socket.on('connect', () => socket.write(Buffer.concat([mark, body])));
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (received.length > MAX_REPLY) return fail(new Error('reply too long'));
        const reply = oneRecord(received);
        if (!reply) return;
        socket.destroy();
        try {
          resolve(result(acceptedResult(reply, xid)));
        } catch (error) {
          reject(error as Error);
        }
      });
      socket.on('end', () => fail(new Error('rpcbind closed the connection without a reply')));
    });
  }
}

/** The record's bytes once its last fragment is in (record marking, RFC 5531 section 11). */
function oneRecord(data: Buffer): Buffer | undefined {
  const fragments: Buffer[] = [];
  let at = 0;
  while (at + 4 <= data.length) {
    const mark = data.readUInt32BE(at);
    const length = mark & 0x7fffffff;
    if (at + 4 + length > data.length) return undefined;
    fragments.push(data.subarray(at + 4, at + 4 + length));
    at += 4 + length;
    if (mark & LAST_FRAGMENT) return Buffer.concat(fragments);
  }
  return undefined;
}

/** The reader positioned at the call's results, once the reply says the call was run. */
function acceptedResult(record: Buffer, xid: number): XdrReader {
  const r = new XdrReader(record);
  if (r.uint() !== xid) throw new Error('reply to another call');
  if (r.uint() !== 1) throw new Error('not an RPC reply');
  if (r.uint() !== 0) throw new Error('call denied by rpcbind');
  r.uint(); // the verifier's flavour
  r.skipOpaque();
  const accepted = r.uint();
  if (accepted !== 0) throw new Error(`rpcbind could not run the call (accept_stat ${accepted})`);
  return r;
}
