import { readFile } from 'node:fs/promises';
import { watch } from 'node:fs';

/** Resolve when `check` returns a value, re-checking on file changes; reject after `ms`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, options: { ms?: number; file?: string; everyMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (options.ms ?? 10_000);
  let watcher: ReturnType<typeof watch> | undefined;
  let wake: (() => void) | undefined;
  try {
    if (options.file) {
      try {
        watcher = watch(options.file, () => wake?.());
      } catch {
        // the file may not exist yet; the periodic re-check covers it
      }
    }
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${options.ms ?? 10_000} ms waiting for ${what}`);
      // Bounded wait for the next change; the timer is a safety net for missed events, not a sleep used as synchronisation.
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, options.everyMs ?? 50));
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  } finally {
    watcher?.close();
  }
}

/** Wait until a line matching `pattern` appears in `file`; returns that line. */
export async function waitForLine(file: string, pattern: RegExp, ms = 10_000): Promise<string> {
  return waitFor(`${pattern} in ${file}`, async () => {
    let text = '';
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return undefined;
    }
    return text.split('\n').find((l) => pattern.test(l));
  }, { ms, file });
}

export async function readLines(file: string): Promise<string[]> {
  try {
    return (await readFile(file, 'utf8')).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
