/**
 * The daemon's stdout and stderr may be pipes or sockets (`-filelog /dev/stdout`, messages to
 * stderr in the foreground, a supervisor's log pipe). When the reader goes away, a write fails
 * with EPIPE, and an unhandled stream error would end the daemon and every service with it;
 * xinetd ignores SIGPIPE and keeps serving. Here the broken stream is given up: its messages
 * are dropped, and the loss is said once on the other stream while that one still works.
 */
export function keepServingWhenStandardStreamsBreak(): void {
  const streams = [
    { name: 'stdout', stream: process.stdout, other: process.stderr },
    { name: 'stderr', stream: process.stderr, other: process.stdout },
  ];
  for (const { name, stream, other } of streams) {
    let said = false;
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (said) return;
      said = true;
      if (other.writable && !other.destroyed) other.write(`xinetd-ts: cannot write ${name} (${error.code ?? error.message}): its messages are dropped\n`);
    });
  }
}

/** A standard stream that can still take a write (a broken one is destroyed by its error). */
export function usable(stream: NodeJS.WritableStream): boolean {
  return stream.writable && !(stream as { destroyed?: boolean }).destroyed;
}
