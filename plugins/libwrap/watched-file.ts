import { readFile, stat } from 'node:fs/promises';

/** A file's parsed content, re-read only when its inode, size, mtime or ctime changed. */
export type FileState<T> = { readonly ok: true; readonly value: T; readonly fresh: boolean } | { readonly ok: false; readonly error: string; readonly fresh: boolean };

/** How long a checked state is trusted: changes are seen within this, with no reload. */
export const RECHECK_MS = 1000;

/**
 * Change detection by at most one stat per RECHECK_MS (libwrap itself reads the files per
 * connection; a stat per connection costs more than the rest of the access checks together).
 * A missing file reads as empty, as in tcpd; any other error is reported so the caller can fail
 * closed.
 */
export class WatchedFile<T> {
  readonly path: string;
  readonly #parse: (text: string) => T;
  readonly #now: () => number;
  #signature = '';
  #state: FileState<T> | undefined;
  #checkedAt = -Infinity;
  #pending: Promise<FileState<T>> | undefined;

  constructor(path: string, parse: (text: string) => T, now: () => number = performance.now.bind(performance)) {
    this.path = path;
    this.#parse = parse;
    this.#now = now;
  }

  /**
   * The state checked within the last RECHECK_MS, without any I/O; undefined when it is older
   * (then call current()).
   */
  cached(): FileState<T> | undefined {
    const state = this.#state;
    if (!state || this.#now() - this.#checkedAt >= RECHECK_MS) return undefined;
    return state.fresh ? (this.#state = { ...state, fresh: false }) : state;
  }

  /** The current content; `fresh` is true the first time a new version is seen. */
  current(): Promise<FileState<T>> {
    const cached = this.cached();
    if (cached) return Promise.resolve(cached);
    this.#pending ??= this.#refresh().finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  async #refresh(): Promise<FileState<T>> {
    const state = await this.#read();
    this.#checkedAt = this.#now();
    return state;
  }

  async #read(): Promise<FileState<T>> {
    let signature: string;
    let text = '';
    try {
      const s = await stat(this.path, { bigint: true });
      signature = `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
      if (signature === this.#signature && this.#state) return (this.#state = { ...this.#state, fresh: false });
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      signature = e.code === 'ENOENT' ? 'missing' : `error:${e.code}`;
      if (signature === this.#signature && this.#state) return (this.#state = { ...this.#state, fresh: false });
      this.#signature = signature;
      this.#state = e.code === 'ENOENT' ? { ok: true, value: this.#parse(''), fresh: true } : { ok: false, error: `cannot open ${this.path}: ${e.message}`, fresh: true };
      return this.#state;
    }
    this.#signature = signature;
    this.#state = { ok: true, value: this.#parse(text), fresh: true };
    return this.#state;
  }
}
