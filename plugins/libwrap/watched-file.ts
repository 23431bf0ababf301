import { stat } from 'node:fs/promises';
import { readRegularFile } from '../../core/regular-file.js';

/** A file's parsed content, re-read only when its inode, size, mtime or ctime changed. */
export type FileState<T> = { readonly ok: true; readonly value: T; readonly fresh: boolean } | { readonly ok: false; readonly error: string; readonly fresh: boolean };

/** How long a checked state is trusted: changes are seen within this, with no reload. */
export const RECHECK_MS = 1000;

/**
 * Change detection by at most one stat per RECHECK_MS (libwrap itself reads the files per
 * connection; a stat per connection costs more than the rest of the access checks together).
 * A missing file reads as empty, as in tcpd; any other error is reported so the caller can fail
 * closed. A timer, not a clock read per connection, says when the state is due for a check.
 */
export class WatchedFile<T> {
  readonly path: string;
  readonly #parse: (text: string) => T;
  readonly #recheckMs: number;
  #signature = '';
  #state: FileState<T> | undefined;
  /** The last check is RECHECK_MS old (set by an unref'd timer). */
  #due = true;
  #pending: Promise<FileState<T>> | undefined;

  constructor(path: string, parse: (text: string) => T, recheckMs = RECHECK_MS) {
    this.path = path;
    this.#parse = parse;
    this.#recheckMs = recheckMs;
  }

  /**
   * The last state read, without any I/O; undefined before the first read (then call
   * current()). When it is due, a check starts in the background and this state is used until
   * the check ends: connections never wait for the once-a-second stat (they did, and a busy
   * datagram service dropped what arrived meanwhile).
   */
  cached(): FileState<T> | undefined {
    const state = this.#state;
    if (!state) return undefined;
    if (this.#due && !this.#pending) this.#pending = this.#check();
    // A new version found by a background check is handed out fresh once (its problems are
    // reported once), then as seen.
    if (state.fresh) this.#state = { ...state, fresh: false };
    return state;
  }

  /** The current content; `fresh` is true the first time a new version is seen. */
  current(): Promise<FileState<T>> {
    const cached = this.cached();
    if (cached) return Promise.resolve(cached);
    return (this.#pending ??= this.#check());
  }

  #check(): Promise<FileState<T>> {
    this.#due = false;
    // Only the first read has callers waiting for it (current()): they get the new version
    // fresh; a background check leaves it fresh for the next cached().
    const first = this.#state === undefined;
    const checked = () => {
      this.#pending = undefined;
      setTimeout(() => (this.#due = true), this.#recheckMs).unref();
    };
    const pending = this.#read().then(
      (state) => {
        checked();
        if (first && state.fresh) this.#state = { ...state, fresh: false };
        return state;
      },
      (error: unknown) => {
        checked();
        throw error;
      },
    );
    // A background check nobody awaits must not be an unhandled rejection.
    pending.catch(() => undefined);
    return pending;
  }

  async #read(): Promise<FileState<T>> {
    let signature: string;
    let text = '';
    try {
      const s = await stat(this.path, { bigint: true });
      signature = `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
      // Unchanged: a version not handed out yet stays fresh.
      if (signature === this.#signature && this.#state) return this.#state;
      // A FIFO is refused, not waited on: a read that never ends would hold every connection.
      text = (await readRegularFile(this.path)).toString('utf8');
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      signature = e.code === 'ENOENT' ? 'missing' : `error:${e.code}`;
      if (signature === this.#signature && this.#state) return this.#state;
      this.#signature = signature;
      this.#state = e.code === 'ENOENT' ? { ok: true, value: this.#parse(''), fresh: true } : { ok: false, error: `cannot open ${this.path}: ${e.message}`, fresh: true };
      return this.#state;
    }
    this.#signature = signature;
    this.#state = { ok: true, value: this.#parse(text), fresh: true };
    return this.#state;
  }
}
