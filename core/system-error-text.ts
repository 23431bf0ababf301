/**
 * A system error in xinetd's `%m` form, `<strerror> (errno = N)`, as in
 * `bind failed (Address already in use (errno = 98)). service = X`: log patterns match on it.
 */

/** The C library's text for the errors sockets meet, when the error does not carry it. */
const C_LIBRARY_TEXT: Readonly<Record<string, string>> = {
  EACCES: 'Permission denied',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EEXIST: 'File exists',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  EHOSTUNREACH: 'No route to host',
  EINVAL: 'Invalid argument',
  EMFILE: 'Too many open files',
  ENFILE: 'Too many open files in system',
  ENOBUFS: 'No buffer space available',
  ENODEV: 'No such device',
  ENOENT: 'No such file or directory',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ENETUNREACH: 'Network is unreachable',
  ENOMEM: 'Cannot allocate memory',
  ENOSPC: 'No space left on device',
  ELOOP: 'Too many levels of symbolic links',
  EROFS: 'Read-only file system',
  EPERM: 'Operation not permitted',
  EPIPE: 'Broken pipe',
  EPROTONOSUPPORT: 'Protocol not supported',
  ETIMEDOUT: 'Connection timed out',
};

/** `<strerror> (errno = N)` when the error names a system error; its message otherwise. */
export function systemErrorText(error: Error & { code?: string; errno?: number; strerror?: string }): string {
  const text = error.strerror ?? (error.code === undefined ? undefined : C_LIBRARY_TEXT[error.code]);
  if (text === undefined || typeof error.errno !== 'number') return error.message;
  return `${text} (errno = ${Math.abs(error.errno)})`;
}
