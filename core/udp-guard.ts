/**
 * Echo-storm guard: never answer a datagram that comes from a privileged port (every classic
 * service lives below 1024: echo 7, discard 9, daytime 13, chargen 19, time 37) or from the
 * service's own port, so one spoofed packet cannot make two services answer each other forever.
 */
export function guardDatagramReply(sourcePort: number, servicePort: number): boolean {
  return sourcePort >= 1024 && sourcePort !== servicePort;
}
