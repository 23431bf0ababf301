/** 127.0.0.0/8, ::1, and IPv4 loopback as seen on a dual-stack socket (`::ffff:127.x.y.z`). */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address.startsWith('127.') || address.startsWith('::ffff:127.') || address === '::1';
}
