import type { RpcbindClient, RpcbindEntry } from './rpcbind-client.js';

const keyOf = (e: RpcbindEntry) => `${e.program}/${e.version}/${e.netid}`;

/** How one service's registrations turned out; `failed` holds each SET that did not take. */
export interface RegistrationResult {
  readonly service: string;
  readonly held: number;
  readonly failed: readonly { readonly entry: RpcbindEntry; readonly why: string }[];
}

/**
 * What each active RPC service has registered with rpcbind, brought to what it should have:
 * entries it no longer wants are removed (its own netid only: xinetd's pmap_unset also drops
 * other services' entries of that program and version), and entries it wants but does not hold
 * are set, so a reload registers again what a missing or restarted rpcbind lost. Calls run one
 * at a time, in the order wanted, off the connection path.
 */
export class Registrations {
  readonly #held = new Map<string, Map<string, RpcbindEntry>>();
  #queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: RpcbindClient,
    private readonly done: (result: RegistrationResult) => void,
  ) {}

  /** Make the service's registrations `entries` (none: remove them all). */
  want(identity: string, service: string, entries: readonly RpcbindEntry[]): void {
    this.#queue = this.#queue.then(() => this.#apply(identity, service, entries));
  }

  /** Resolves once every wanted change has been tried. */
  settled(): Promise<void> {
    return this.#queue;
  }

  async #apply(identity: string, service: string, entries: readonly RpcbindEntry[]): Promise<void> {
    const held = this.#held.get(identity) ?? new Map<string, RpcbindEntry>();
    if (held.size > 0 && entries.length > 0) await this.#forgetLost(held);
    const wanted = new Map(entries.map((e) => [keyOf(e), e]));
    // Once rpcbind cannot be reached, the batch's other calls would only wait for it too.
    let unreachable: string | undefined;
    for (const [key, entry] of held) {
      if (wanted.get(key)?.address === entry.address) continue;
      if (!unreachable) await this.client.unset(entry).catch((error: Error) => (unreachable = error.message));
      held.delete(key);
    }
    const failed: { entry: RpcbindEntry; why: string }[] = [];
    let changed = false;
    for (const [key, entry] of wanted) {
      if (held.has(key)) continue;
      changed = true;
      if (unreachable) {
        failed.push({ entry, why: unreachable });
        continue;
      }
      const took = await this.client.set(entry).catch((error: Error) => {
        unreachable = error.message;
        return false;
      });
      if (took) held.set(key, entry);
      else failed.push({ entry, why: unreachable ?? 'rpcbind holds this program and version already' });
    }
    if (held.size > 0) this.#held.set(identity, held);
    else this.#held.delete(identity);
    if (changed) this.done({ service, held: held.size, failed });
  }

  /**
   * rpcbind forgets every registration when it restarts: entries it no longer lists are dropped
   * from `held`, so they are set again (xinetd never registers again after such a restart).
   */
  async #forgetLost(held: Map<string, RpcbindEntry>): Promise<void> {
    const listed = await this.client.dump().catch(() => undefined);
    if (!listed) return;
    const present = new Set(listed.map((e) => `${keyOf(e)} ${e.address}`));
    for (const [key, entry] of held) if (!present.has(`${key} ${entry.address}`)) held.delete(key);
  }
}
