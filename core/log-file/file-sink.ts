import { closeSync, constants, fstatSync, openSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { RotatingFileStream } from 'rotating-file-stream';
import { capRecord, sizeCaps, SizeTracker, type SizeCaps } from './size-caps.js';
import { SinkHealth, type Report } from './sink-health.js';
import { usable } from '../standard-streams.js';

/** rotating-file-stream is loaded when the first log file is opened, not at start-up. */
let createStream: typeof import('rotating-file-stream').createStream | undefined;
const rotatingStream = () => (createStream ??= (createRequire(import.meta.url)('rotating-file-stream') as typeof import('rotating-file-stream')).createStream);

/** Bytes a slow disk may hold in memory per file before records are dropped. */
const MAX_BUFFERED = 1024 * 1024;
/**
 * While one write is in the thread pool, later records wait and go out together in the next
 * one (every write is a round trip through libuv's thread pool, which on a small machine
 * competes with the event loop for the same cores); a batch is never larger than BATCH_BYTES.
 */
const BATCH_BYTES = 64 * 1024;
/**
 * Records wait at most this long to share a write: at hundreds of connections a second most
 * batches then hold several records (measured ≈ 90–120 µs per daytime connection against
 * 95–150 µs when flushing on the next turn of the loop). Log lines may trail by this much.
 */
const BATCH_WINDOW_MS = 5;
/** How long a failed file is left alone before it is tried again. */
const RETRY_MS = 1000;
const NOT_REGULAR = 'not a regular file (a FIFO or a device is not written to)';
/** Append, create, and never wait for a FIFO's reader (ENXIO instead). */
export const OPEN_FOR_APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK;

export interface FileSinkOptions {
  readonly path: string;
  /** Who the file is for in messages: `common` or the service id (xinetd's words). */
  readonly label: string;
  readonly soft?: number;
  readonly hard?: number;
  readonly report: Report;
  readonly now?: () => number;
}

const STANDARD_STREAMS: ReadonlyMap<string, () => NodeJS.WritableStream> = new Map<string, () => NodeJS.WritableStream>([
  ['/dev/stdout', () => process.stdout],
  ['/dev/stderr', () => process.stderr],
]);

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
 * once and retried every RETRY_MS. The records of one event-loop turn go out as one write
 * (rotating-file-stream writes every chunk on its own, and a write per record was a quarter of
 * the daemon's time per connection); a batch ends at the record that makes the file rotate, so
 * the size caps stay exact.
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
  /** Records of this turn, not yet handed to the stream, and their size in bytes. */
  #batch: (string | Buffer)[] = [];
  #batchBytes = 0;
  #flushing: NodeJS.Timeout | undefined;
  /** A batch is being written: the next one waits for it. */
  #writing = false;

  /** The process's own stdout or stderr, for those two paths (looked up once, not per record). */
  readonly #standard: (() => NodeJS.WritableStream) | undefined;
  /**
   * `log_type = FILE /dev/null` is how some configurations silence a service: as in xinetd, the
   * records go nowhere, without the not-a-regular-file report other devices get.
   */
  readonly #discard: boolean;

  constructor(options: FileSinkOptions) {
    this.#standard = STANDARD_STREAMS.get(options.path);
    this.#discard = options.path === '/dev/null';
    this.#options = options;
    this.#caps = options.hard === undefined ? undefined : sizeCaps(options.soft, options.hard);
    this.#health = new SinkHealth(`log file ${options.path}`, options.report);
  }

  write(line: string): void {
    if (this.#closed || this.#discard) return;
    // /dev/stdout and /dev/stderr cannot be opened when they are sockets (systemd, pipes):
    // write to the process's own streams instead; no size caps apply to them.
    const std = this.#standard;
    if (std) {
      const stream = std();
      if (usable(stream)) stream.write(line);
      return;
    }
    const stream = this.#stream ?? this.#open();
    if (!stream) return this.#health.lost();
    if (stream.writableLength + this.#batchBytes > MAX_BUFFERED) {
      this.#health.failed('the disk is not keeping up');
      return this.#health.lost();
    }
    const caps = this.#caps;
    if (!caps || !this.#sizes) {
      // Without size caps the count only bounds the batch and the memory held, so the string's
      // length will do: exact for the ASCII that records are made of, and counting UTF-8 per
      // record (flattening the string to do it) was about a fifth of the logging's CPU.
      this.#add(line, line.length);
      return;
    }
    const bytes = capRecord(line, caps.maxRecord);
    this.#add(bytes, bytes.length);
    const rotated = this.#sizes.wrote(bytes.length);
    // The stream rotates after the write that reaches its size: end the batch right here.
    if (rotated) this.#flush();
    const { label, report, path } = this.#options;
    // A rotation means the log passed its soft limit too, even when the pair (each file under
    // hard/2) never holds more than the soft limit at once (a soft limit close to the hard one).
    if (caps.soft !== undefined && !this.#softWarned && (this.#sizes.total > caps.soft || rotated)) {
      this.#softWarned = true;
      report('warning', `Size of ${label} log exceeded soft limit (${caps.soft} bytes)`);
    }
    if (rotated && !this.#rotationNoted) {
      this.#rotationNoted = true;
      report('notice', `Size of ${label} log reached its hard limit (${caps.hard} bytes): rotating ${path} to ${path}.1`);
    }
  }

  #add(record: string | Buffer, bytes: number): void {
    this.#batch.push(record);
    this.#batchBytes += bytes;
    if (this.#batchBytes >= BATCH_BYTES) this.#flush();
    else if (!this.#writing) this.#flushing ??= setTimeout(() => this.#flush(), BATCH_WINDOW_MS);
  }

  /** Hand this turn's records to the stream as one chunk. */
  #flush(): void {
    if (this.#flushing) clearTimeout(this.#flushing);
    this.#flushing = undefined;
    const batch = this.#batch;
    if (batch.length === 0) return;
    this.#batch = [];
    this.#batchBytes = 0;
    const stream = this.#stream;
    if (!stream || stream.destroyed) return this.#health.lost(batch.length);
    const chunk = batch.length === 1 ? batch[0]! : typeof batch[0] === 'string' ? batch.join('') : Buffer.concat(batch as Buffer[]);
    this.#writing = true;
    stream.write(chunk, (error?: Error | null) => {
      this.#writing = false;
      // Recovered once a write has landed, not when the file opens again: on a full disk the
      // open succeeds and the next write fails.
      if (!error && this.#stream === stream) this.#health.recovered();
      if (this.#batch.length > 0 && !this.#closed) this.#flushing ??= setTimeout(() => this.#flush(), BATCH_WINDOW_MS);
    });
  }

  /**
   * Let go of the file: the records written so far go out to it, the next one opens the path
   * again. After `mv log log.1`, the new records go to a new `log`.
   */
  reopen(): void {
    const stream = this.#stream;
    if (this.#closed || !stream) return;
    this.#flush();
    this.#stream = undefined;
    this.#sizes = undefined;
    this.#writing = false;
    stream.end();
  }

  async close(): Promise<void> {
    this.#flush();
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
    // Opened once without blocking first: a FIFO with no reader would hold the stream's own
    // open (a thread-pool thread) until one came. Only regular files are written (the stream
    // refuses anything else); any other is reported and retried like a file that fails.
    try {
      const fd = openSync(path, OPEN_FOR_APPEND, 0o644);
      const regular = fstatSync(fd).isFile();
      closeSync(fd);
      if (!regular) throw new Error(NOT_REGULAR);
    } catch (error) {
      this.#fail((error as NodeJS.ErrnoException).code === 'ENXIO' ? new Error(NOT_REGULAR) : error);
      return undefined;
    }
    let stream: RotatingFileStream;
    try {
      const create = rotatingStream();
      stream = caps
        ? create(path, { mode: 0o644, size: `${caps.rotateAt}B`, rotate: 1 })
        : create(path, { mode: 0o644 });
    } catch (error) {
      this.#fail(error);
      return undefined;
    }
    if (caps) this.#sizes = new SizeTracker(caps, sizeOf(path), sizeOf(`${path}.1`));
    stream.on('error', (error: Error) => {
      if (this.#stream === stream) this.#fail(error);
    });
    this.#stream = stream;
    this.#writing = false;
    return stream;
  }

  #fail(error: unknown): void {
    this.#flush();
    this.#stream = undefined;
    this.#retryAt = (this.#options.now ?? Date.now)() + RETRY_MS;
    this.#health.failed(error instanceof Error ? error.message : String(error));
  }
}
