/**
 * Servers started within the last few milliseconds that are still running. The launcher pool
 * reads it to tell "the launchers are the bottleneck" (starts finish quickly: spread them over
 * every process) from "the CPUs are busy running what was just started" (queue the starts in
 * arrival order on one process, so a new server never takes the CPU from one started earlier).
 */
export class RecentStarts {
  private readonly entries: Entry[] = [];
  private head = 0;
  private live = 0;

  /** @param windowMs how long a start counts as recent */
  constructor(private readonly windowMs: number) {}

  /** Record a start at `now` (performance.now()); the returned function is called when it ends. */
  add(now: number): () => void {
    // Expired entries go here too: with one launcher process nobody asks count(), and the
    // array would grow by one entry per server started, for the daemon's whole life.
    this.expire(now);
    const entry: Entry = { at: now, live: true };
    this.entries.push(entry);
    this.live++;
    return () => this.end(entry);
  }

  /** Starts within the window before `now` that have not ended. */
  count(now: number): number {
    this.expire(now);
    return this.live;
  }

  /** How many entries are kept (expired ones included until they are dropped). */
  get size(): number {
    return this.entries.length;
  }

  private expire(now: number): void {
    const oldest = now - this.windowMs;
    const entries = this.entries;
    while (this.head < entries.length && entries[this.head]!.at < oldest) this.end(entries[this.head++]!);
    // Drop what has expired once it is most of the array: amortised O(1) per start.
    if (this.head >= 64 && this.head * 2 >= entries.length) {
      entries.splice(0, this.head);
      this.head = 0;
    }
  }

  private end(entry: Entry): void {
    if (!entry.live) return;
    entry.live = false;
    this.live--;
  }
}

interface Entry {
  readonly at: number;
  live: boolean;
}
