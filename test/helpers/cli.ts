import { spawn } from 'node:child_process';
import { CLI } from './daemon.js';

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the real CLI to completion (bounded by `ms`). */
export function runCli(args: readonly string[], options: { input?: string; ms?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env, cwd: options.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`xinetd-ts ${args.join(' ')} did not finish within ${options.ms ?? 15000} ms`));
    }, options.ms ?? 15000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A run that never reads its input may be over before it is written (EPIPE).
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

export interface CheckJson {
  ok: boolean;
  services: { name: string; id: string; status: string; reason?: string; port?: number; socket_type?: string; protocol?: string; wait?: boolean; at: string; attributes?: Record<string, unknown> }[];
  diagnostics: { level: string; message: string; at?: { file: string; line: number } }[];
}

export async function checkJson(file: string, env?: NodeJS.ProcessEnv): Promise<{ code: number | null; json: CheckJson; stderr: string }> {
  const r = await runCli(['check', '-f', file, '--json'], { env });
  try {
    return { code: r.code, json: JSON.parse(r.stdout) as CheckJson, stderr: r.stderr };
  } catch {
    throw new Error(`check printed no JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
}
