/**
 * Where a plugin module failed while being imported, for its author: the first frame of a throw
 * in a file, or the line of a syntax error. Node keeps a syntax error's location out of the error
 * object, so the module is checked again with `node --check`, which prints it. Runs only on the
 * failure path, at start-up.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHECK_MS = 5000;

export async function importFailure(error: unknown, path: string): Promise<string> {
  const e = error instanceof Error ? error : new Error(String(error));
  const text = `${e.name}: ${e.message}`;
  if (e.name === 'SyntaxError') {
    const line = await syntaxErrorLine(path);
    return line === undefined ? text : `${text} at ${path}:${line}`;
  }
  const frame = /^\s+at (?:.*\()?(file:\/\/[^)\s]+?):(\d+):(\d+)\)?$/m.exec(e.stack ?? '');
  return frame ? `${text} at ${fileURLToPath(frame[1]!)}:${frame[2]}:${frame[3]}` : text;
}

/** The line `node --check` names for the module's syntax error (the first line of its report is `FILE:LINE`). */
function syntaxErrorLine(path: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--check', path], { timeout: CHECK_MS, env: {} }, (_error, _stdout, stderr) => {
      const m = /^(.*):(\d+)$/m.exec(stderr);
      resolve(m && m[1] === path ? Number(m[2]) : undefined);
    });
  });
}
