import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';

/** A TCP backend on loopback that calls `onConnection` for each client (allowHalfOpen); port 0: any. */
export async function backend(onConnection: (socket: net.Socket) => void, host = '127.0.0.1', port = 0): Promise<{ port: number; close: () => Promise<void>; peers: string[] }> {
  const peers: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    peers.push(socket.remoteAddress ?? '');
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    onConnection(socket);
  });
  server.listen(port, host);
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    peers,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port with nothing listening (connections are refused). */
export async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A listener that never accepts: a stopped child process whose accept queue we fill, so the
 * kernel drops further SYNs and a connect hangs until its own timeout.
 */
export async function blackhole(at = 0): Promise<{ port: number; close: () => void }> {
  const child: ChildProcess = spawn(process.execPath, ['-e', `const s=require('net').createServer();s.listen({port:${at},host:'127.0.0.1',backlog:1},()=>{process.stdout.write(String(s.address().port)+'\\n')})`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const port = Number(line.toString().trim());
  child.kill('SIGSTOP');
  const fillers: net.Socket[] = [];
  // Until a connect no longer completes, the queue has room; each filler is bounded in time.
  for (let i = 0; i < 8; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    fillers.push(s);
    const ok = await Promise.race([once(s, 'connect').then(() => true), new Promise<boolean>((r) => setTimeout(r, 500, false))]);
    if (!ok) break;
  }
  return {
    port,
    close: () => {
      for (const s of fillers) s.destroy();
      child.kill('SIGKILL');
    },
  };
}
