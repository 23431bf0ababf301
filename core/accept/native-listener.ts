import { isIPv4, isIPv6 } from 'node:net';
import { getSystemErrorName } from 'node:util';
import type { AcceptorHandle, NativeAccept } from './native.js';

export interface NativeListenOptions {
  readonly family: 4 | 6;
  readonly address: string;
  readonly port: number;
  readonly v6only: boolean;
  readonly nodelay: boolean;
  readonly keepalive: boolean;
}

/** After a failed accept (EMFILE...) that nobody switched the service off for: try again then. */
const RETRY_AFTER_ERROR_MS = 100;

/**
 * A listening TCP socket served by the native acceptor: connections arrive as
 * (descriptor, peer address, peer port), with no net.Socket made for them.
 */
export class NativeListener {
  /** The bound address and port (the kernel's choice for port 0). */
  readonly endpoint: { readonly address: string; readonly port: number };
  readonly #native: NativeAccept;
  readonly #acceptor: AcceptorHandle;
  #stopped = false;
  #retry: NodeJS.Timeout | undefined;

  /** `undefined` when the address is not numeric for its family (the caller uses net.Server). */
  static create(
    native: NativeAccept,
    options: NativeListenOptions,
    onConnection: (fd: number, address: string, port: number, listener: NativeListener) => void,
    onError: (error: NodeJS.ErrnoException) => void,
  ): NativeListener | undefined {
    if (options.family === 4 ? !isIPv4(options.address) : !isIPv6(options.address)) return undefined;
    let fd: number;
    try {
      fd = native.listen(options.family, options.address, options.port, options.v6only, 511);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      e.message = `${e.message} ${options.address}:${options.port}`;
      throw e;
    }
    return new NativeListener(native, fd, options, onConnection, onError);
  }

  private constructor(
    native: NativeAccept,
    fd: number,
    options: NativeListenOptions,
    onConnection: (fd: number, address: string, port: number, listener: NativeListener) => void,
    onError: (error: NodeJS.ErrnoException) => void,
  ) {
    this.#native = native;
    this.endpoint = { address: options.address, port: native.localEndpoint(fd)?.[1] ?? options.port };
    this.#acceptor = native.start(fd, options.nodelay, options.keepalive, (cfd, address, port) => {
      if (cfd >= 0) {
        onConnection(cfd, address, port, this);
        return;
      }
      const name = getSystemErrorName(cfd);
      onError(Object.assign(new Error(`accept ${name}`), { code: name, errno: cfd, syscall: 'accept' }));
      // Polling is paused: resumed here unless the service was switched off meanwhile.
      if (!this.#stopped) this.#retry ??= setTimeout(() => {
        this.#retry = undefined;
        if (!this.#stopped) this.#native.resume(this.#acceptor);
      }, RETRY_AFTER_ERROR_MS).unref();
    });
  }

  /** The bound port (the configured one, or the kernel's choice for port 0). */
  port(): number {
    return this.endpoint.port;
  }

  /** Stop accepting and close the listening socket; accepted connections are not touched. */
  close(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#retry) clearTimeout(this.#retry);
    this.#native.stop(this.#acceptor);
  }
}
