/**
 * Counts the event loop's turns while `work` runs (a chain of setImmediate callbacks): how often
 * a long piece of work let the loop run. Also the `breathe` to give it: one turn each time.
 */
export async function turnsDuring<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let ticking = true;
  const tick = () => {
    turns++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  try {
    return { result: await work(), turns };
  } finally {
    ticking = false;
  }
}

/** A breathe() that always yields one turn of the event loop. */
export const yieldEveryStep = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
