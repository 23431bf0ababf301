import { readFile, stat } from 'node:fs/promises';

/** A file's parsed content, re-read only when its inode, size, mtime or ctime changed. */
export type FileState<T> = { readonly ok: true; readonly value: T; readonly fresh: boolean } | { readonly ok: false; readonly error: string; readonly fresh: boolean };

/**
 * Change detection by one stat per use (cheap, and the answer is always current: hosts files
 * are re-read without a reload, as libwrap reads them per connection). A missing file reads as
 * empty, as in tcpd; any other error is reported so the caller can fail closed.
 */
export class WatchedFile<T> {
  readonly path: string;
  readonly #parse: (text: string) => T;
  #signature = '';
  #state: FileState<T> | undefined;
  #pending: Promise<FileState<T>> | undefined;

  constructor(path: string, parse: (text: string) => T) {
    this.path = path;
    this.#parse = parse;
  }

  /** The current content; `fresh` is true the first time a new version is seen. */
  current(): Promise<FileState<T>> {
    this.#pending ??= this.#refresh().finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  async #refresh(): Promise<FileState<T>> {
    let signature: string;
    let text = '';
    try {
      const s = await stat(this.path, { bigint: true });
      signature = `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
      if (signature === this.#signature && this.#state) return { ...this.#state, fresh: false };
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      signature = e.code === 'ENOENT' ? 'missing' : `error:${e.code}`;
      if (signature === this.#signature && this.#state) return { ...this.#state, fresh: false };
      this.#signature = signature;
      this.#state = e.code === 'ENOENT' ? { ok: true, value: this.#parse(''), fresh: true } : { ok: false, error: `cannot open ${this.path}: ${e.message}`, fresh: true };
      return this.#state;
    }
    this.#signature = signature;
    this.#state = { ok: true, value: this.#parse(text), fresh: true };
    return this.#state;
  }
}
