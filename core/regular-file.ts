import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/**
 * Files an administrator names (configuration, includes, hosts.allow, banners) are read only
 * when they are regular files. A FIFO blocks open() until a writer comes (xinetd hangs on an
 * `include` of one, and here a synchronous read would stall every service, an asynchronous one
 * hold a thread-pool thread for ever); a device such as /dev/zero never ends. The open is
 * non-blocking, so a FIFO is recognised instead of waited on.
 */

/** Larger than any configuration or hosts table: a log file named by mistake is refused, not slurped. */
export const MAX_READ_BYTES = 16 * 1024 * 1024;

const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** What `open` and `stat` said was wrong, as an errno-style error with a short message. */
export type UnreadableReason = 'ENOTREG' | 'EFBIG';

function refusal(path: string, code: UnreadableReason, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code, path });
}

function check(path: string, stats: Stats, maxBytes: number): void {
  if (!stats.isFile()) throw refusal(path, 'ENOTREG', 'not a regular file');
  if (stats.size > maxBytes) throw refusal(path, 'EFBIG', `larger than ${maxBytes} bytes`);
}

/** The bytes of a regular file; throws the system error, or ENOTREG / EFBIG (see above). */
export function readRegularFileSync(path: string, maxBytes = MAX_READ_BYTES): Buffer {
  const fd = openSync(path, READ_FLAGS);
  try {
    check(path, fstatSync(fd), maxBytes);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Throws as readRegularFileSync would, without reading: for files another reader loads. */
export function assertRegularFileSync(path: string, maxBytes = MAX_READ_BYTES): void {
  const fd = openSync(path, READ_FLAGS);
  try {
    check(path, fstatSync(fd), maxBytes);
  } finally {
    closeSync(fd);
  }
}

/** An open handle on a regular file (the caller closes it); rejects as readRegularFileSync throws. */
export async function openRegularFile(path: string, maxBytes = MAX_READ_BYTES): Promise<FileHandle> {
  const handle = await open(path, READ_FLAGS);
  try {
    check(path, await handle.stat(), maxBytes);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** The bytes of a regular file, without blocking the event loop. */
export async function readRegularFile(path: string, maxBytes = MAX_READ_BYTES): Promise<Buffer> {
  const handle = await openRegularFile(path, maxBytes);
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * Append `text` to a regular file, created with `mode` when missing. A FIFO is refused
 * (ENOTREG) instead of waited on: the open would block until a reader came.
 */
export async function appendToRegularFile(path: string, text: string, mode: number): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK, mode);
  } catch (error) {
    // A non-blocking open for writing of a FIFO without a reader, or of a unix socket.
    if ((error as NodeJS.ErrnoException).code === 'ENXIO') throw Object.assign(refusal(path, 'ENOTREG', 'not a regular file'), { syscall: 'open' });
    throw error;
  }
  try {
    if (!(await handle.stat()).isFile()) throw Object.assign(refusal(path, 'ENOTREG', 'not a regular file'), { syscall: 'open' });
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
}
