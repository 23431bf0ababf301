import { plainAddress, type NameResolver } from '../access/reverse-lookup.js';
import { patternFileTokens } from './hosts-files.js';
import type { WrapHost, WrapRequest } from './hosts-match.js';
import { WatchedFile } from './watched-file.js';

const MAX_PATTERN_FILES = 64;

/** `/path` pattern files: read when used, re-read when changed, a bounded number kept. */
export class PatternFiles {
  readonly #files = new Map<string, WatchedFile<readonly string[]>>();

  async tokens(path: string): Promise<readonly string[]> {
    let file = this.#files.get(path);
    if (!file) {
      if (this.#files.size >= MAX_PATTERN_FILES) this.#files.delete(this.#files.keys().next().value!);
      file = new WatchedFile(path, patternFileTokens);
      this.#files.set(path, file);
    }
    const state = await file.current();
    return state.ok ? state.value : [];
  }
}

/** `address` may be a function: the server's address is only looked up (getsockname) when a rule needs it. */
function host(address: string | undefined | (() => string | undefined), names: NameResolver): WrapHost {
  let plain: string | undefined;
  const resolved = () => (plain ??= ((a) => (a ? plainAddress(a) : 'unknown'))(typeof address === 'function' ? address() : address));
  let name: Promise<string> | undefined;
  return {
    get address() {
      return resolved();
    },
    name: () => {
      const p = resolved();
      if (p === 'unknown' || p === '') return Promise.resolve('unknown');
      name ??= names.lookup(p).then((h) => (h.name === undefined ? 'unknown' : h.verified ? h.name : 'paranoid'));
      return name;
    },
  };
}

/** The request libwrap evaluates for one connection; names are looked up only if a rule needs them. */
export function wrapRequest(daemon: string, client: string | undefined, server: string | undefined | (() => string | undefined), names: NameResolver, files: PatternFiles): WrapRequest {
  return { daemon, client: host(client, names), server: host(server, names), user: 'unknown', patternFile: (p) => files.tokens(p) };
}
