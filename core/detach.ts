/**
 * Running in the background, as xinetd does without -dontfork: the command starts the daemon
 * in a session of its own and returns. Unlike xinetd's, it returns only once the daemon serves
 * (its sockets bound, its pid file written), with status 0, or once start-up failed, with the
 * daemon's status: an init script or a `Type=forking` unit then sees a failed start as one.
 */
import { spawn } from 'node:child_process';

/** Set in the background daemon's environment: it is the detached half. */
const DETACHED_ENV = 'XINETD_TS_DETACHED';

const READY = 'ready';

export function isDetachedHalf(): boolean {
  return process.env[DETACHED_ENV] === '1';
}

/**
 * Start `argv` (this command's script and arguments) detached and wait for it to report.
 * `logHint` says where the daemon's messages go, for the line printed when it fails.
 */
export async function startDetached(argv: readonly string[], logHint: string): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...argv], {
    detached: true,
    // The channel is close-on-exec in the daemon: nothing it starts inherits it.
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    env: { ...process.env, [DETACHED_ENV]: '1' },
  });
  const outcome = await new Promise<number>((resolveOnce) => {
    let settled = false;
    const resolve = (status: number) => {
      settled = true;
      resolveOnce(status);
    };
    child.on('message', (message: unknown) => {
      if (message === READY) resolve(0);
      else if (typeof message === 'object' && message !== null && typeof (message as { error?: unknown }).error === 'string') {
        process.stderr.write(`xinetd-ts: ${(message as { error: string }).error}\n`);
      }
    });
    child.on('error', (error) => {
      if (settled) return;
      process.stderr.write(`xinetd-ts: cannot start the daemon: ${error.message}\n`);
      resolve(1);
    });
    // 'close', not 'exit': every message the daemon sent before it ended has been read.
    child.on('close', (code, signal) => {
      if (settled) return;
      const status = code ?? 1;
      process.stderr.write(`xinetd-ts: the daemon ended during start-up (${signal ?? `exit status ${status}`}); its messages went to ${logHint}\n`);
      resolve(status === 0 ? 1 : status);
    });
  });
  if (child.connected) child.disconnect();
  child.unref();
  return outcome;
}

/** In the detached half: start-up is done, the command that started us may return. */
export function reportReady(): void {
  if (!process.send || !process.connected) return;
  process.send(READY, () => {
    if (process.connected) process.disconnect();
  });
}

/** In the detached half: a start-up error the command prints on its stderr (it has one). */
export function reportStartError(text: string): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) resolve();
    else process.send({ error: text }, () => resolve());
  });
}
