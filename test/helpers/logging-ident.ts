import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { waitForTcp } from './net.js';

/** A real oidentd on ADDRESS:113 (needs root), in the foreground; stop() ends it. */
export async function startOidentd(address: string): Promise<{ stop(): Promise<void> }> {
  const child = spawn('oidentd', ['-i', '-a', address, '-p', '113', '-S', '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  try {
    await waitForTcp(address, 113, {
      alive: () => {
        if (child.exitCode !== null) throw new Error(`oidentd exited: ${err}`);
      },
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop };
}

/**
 * A small ident server written for the tests on ADDRESS:113: `answer(remotePort, localPort)`
 * gives the reply line (without CR LF), or undefined to stay silent; a promise of one replies
 * when it settles. It is asked for every query, so it can also record which ports were looked up.
 */
export async function startIdentServer(address: string, answer: (rport: number, lport: number) => string | undefined | Promise<string | undefined>): Promise<{ stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
    c.on('error', () => undefined);
    let text = '';
    c.on('data', (b: Buffer) => {
      text += b.toString('latin1');
      const m = /^(\d+)\s*,\s*(\d+)\r\n/.exec(text);
      if (!m) return;
      void Promise.resolve(answer(Number(m[1]), Number(m[2]))).then((reply) => {
        if (reply !== undefined && !c.destroyed) c.end(`${reply}\r\n`);
      });
    });
  });
  server.listen(113, address);
  await once(server, 'listening');
  return {
    async stop() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
