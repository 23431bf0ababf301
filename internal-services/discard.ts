import type { InternalServiceSpec } from './define.js';

/** Every discard connection reads into this one buffer: nothing read is ever kept. */
const SINK = Buffer.allocUnsafe(64 * 1024);

/** discard: read and drop until EOF (stream); no reply (dgram). */
export const discard: InternalServiceSpec = {
  name: 'discard',
  stream: { mode: 'session', buffer: () => SINK, reads: () => () => undefined },
  dgram: () => undefined,
};
