import { statSync } from 'node:fs';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import { capRecord, sizeCaps, SizeTracker, type SizeCaps } from './size-caps.js';
import { SinkHealth, type Report } from './sink-health.js';

/** Bytes a slow disk may hold in memory per file before records are dropped. */
const MAX_BUFFERED = 1024 * 1024;
/** How long a failed file is left alone before it is tried again. */
const RETRY_MS = 1000;

export interface FileSinkOptions {
  readonly path: string;
  /** Who the file is for in messages: `common` or the service id (xinetd's words). */
  readonly label: string;
  readonly soft?: number;
  readonly hard?: number;
  readonly report: Report;
  readonly now?: () => number;
}

const STANDARD_STREAMS: Readonly<Record<string, () => NodeJS.WritableStream>> = {
  '/dev/stdout': () => process.stdout,
  '/dev/stderr': () => process.stderr,
};

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * One log file on rotating-file-stream, opened on first use (mode 0644, appending). With a hard
 * limit it rotates to PATH.1 so the pair never exceeds it; the soft limit warns once. Writes
 * never block: a slow disk buffers at most MAX_BUFFERED bytes, and a failing file is reported
 * once and retried every RETRY_MS.
 */
export class FileSink {
  readonly #options: FileSinkOptions;
  readonly #caps: SizeCaps | undefined;
  readonly #health: SinkHealth;
  #stream: RotatingFileStream | undefined;
  #sizes: SizeTracker | undefined;
  #retryAt = 0;
  #softWarned = false;
  #rotationNoted = false;
  #closed = false;

  constructor(options: FileSinkOptions) {
    this.#options = options;
    this.#caps = options.hard === undefined ? undefined : sizeCaps(options.soft, options.hard);
    this.#health = new SinkHealth(`log file ${options.path}`, options.report);
  }

  write(line: string): void {
    if (this.#closed) return;
    // /dev/stdout and /dev/stderr cannot be opened when they are sockets (systemd, pipes):
    // write to the process's own streams instead; no size caps apply to them.
    const std = STANDARD_STREAMS[this.#options.path];
    if (std) {
      std().write(line);
      return;
    }
    const stream = this.#stream ?? this.#open();
    if (!stream) return this.#health.lost();
    if (stream.writableLength > MAX_BUFFERED) {
      this.#health.failed('the disk is not keeping up');
      return this.#health.lost();
    }
    const caps = this.#caps;
    if (!caps || !this.#sizes) {
      stream.write(line);
      return;
    }
    const bytes = capRecord(line, caps.maxRecord);
    stream.write(bytes);
    const rotated = this.#sizes.wrote(bytes.length);
    const { label, report, path } = this.#options;
    if (caps.soft !== undefined && !this.#softWarned && this.#sizes.total > caps.soft) {
      this.#softWarned = true;
      report('warning', `Size of ${label} log exceeded soft limit (${caps.soft} bytes)`);
    }
    if (rotated && !this.#rotationNoted) {
      this.#rotationNoted = true;
      report('notice', `Size of ${label} log reached its hard limit (${caps.hard} bytes): rotating ${path} to ${path}.1`);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const stream = this.#stream;
    this.#stream = undefined;
    if (!stream || stream.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        stream.destroy();
        resolve();
      }, 2000);
      stream.end(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #open(): RotatingFileStream | undefined {
    const now = (this.#options.now ?? Date.now)();
    if (now < this.#retryAt) return undefined;
    const { path } = this.#options;
    const caps = this.#caps;
    let stream: RotatingFileStream;
    try {
      stream = caps
        ? createStream(path, { mode: 0o644, size: `${caps.rotateAt}B`, rotate: 1 })
        : createStream(path, { mode: 0o644 });
    } catch (error) {
      this.#fail(error);
      return undefined;
    }
    if (caps) this.#sizes = new SizeTracker(caps, sizeOf(path), sizeOf(`${path}.1`));
    stream.on('error', (error: Error) => {
      if (this.#stream === stream) this.#fail(error);
    });
    stream.on('open', () => this.#health.recovered());
    this.#stream = stream;
    return stream;
  }

  #fail(error: unknown): void {
    this.#stream = undefined;
    this.#retryAt = (this.#options.now ?? Date.now)() + RETRY_MS;
    this.#health.failed(error instanceof Error ? error.message : String(error));
  }
}
