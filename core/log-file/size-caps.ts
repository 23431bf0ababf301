/**
 * The size policy of a capped FILE log (docs/logging.md): the log and its one rotated
 * generation PATH.1 together never exceed `hard`. The active file is rotated once it reaches
 * `rotateAt`; a record is at most `maxRecord` bytes, so each of the two files stays within
 * hard/2. Mirrors rotating-file-stream's rule (rotate after the write that reaches `size`).
 */
export interface SizeCaps {
  readonly soft: number | undefined;
  readonly hard: number;
  readonly rotateAt: number;
  readonly maxRecord: number;
}

const MAX_RECORD = 1024;

export function sizeCaps(soft: number | undefined, hard: number): SizeCaps {
  const maxRecord = Math.max(16, Math.min(MAX_RECORD, Math.floor(hard / 4)));
  const rotateAt = Math.max(1, Math.floor(hard / 2) - maxRecord + 1);
  return { soft, hard, rotateAt, maxRecord };
}

/** Cut a record (with its newline) to `max` bytes, keeping it a single line. */
export function capRecord(line: string, max: number): Buffer {
  const buf = Buffer.from(line);
  if (buf.length <= max) return buf;
  const cut = Buffer.from(buf.subarray(0, max - 4).toString('utf8').replace(/\uFFFD$/, '') + '...\n');
  return cut.length <= max ? cut : cut.subarray(0, max);
}

/** Bytes of the active file and of PATH.1, following each write. */
export class SizeTracker {
  active: number;
  rotated: number;
  readonly #caps: SizeCaps;

  constructor(caps: SizeCaps, activeAtOpen: number, rotatedAtOpen: number) {
    this.#caps = caps;
    // rotating-file-stream rotates at open a file that already reached its size.
    if (activeAtOpen >= caps.rotateAt) {
      this.rotated = activeAtOpen;
      this.active = 0;
    } else {
      this.active = activeAtOpen;
      this.rotated = rotatedAtOpen;
    }
  }

  get total(): number {
    return this.active + this.rotated;
  }

  /** Account one write; true when it makes the stream rotate. */
  wrote(bytes: number): boolean {
    this.active += bytes;
    if (this.active < this.#caps.rotateAt) return false;
    this.rotated = this.active;
    this.active = 0;
    return true;
  }
}
