/**
 * Where a module (a plugin, a JavaScript configuration) failed while being imported, for its
 * author: the first frame of a throw in a file, or the line of a syntax error. Node keeps a syntax
 * error's location out of the error object, so the module is checked again with `node --check`,
 * which prints it. Runs only on the failure path.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHECK_MS = 5000;
/** The installed package's own code and dependencies (this file is PACKAGE/dist/core/). */
const PACKAGE = fileURLToPath(new URL('../../', import.meta.url));
const OWN = [`${PACKAGE}dist/core/`, `${PACKAGE}dist/plugins/`, `${PACKAGE}node_modules/`];

export async function importFailure(error: unknown, path: string): Promise<string> {
  const e = error instanceof Error ? error : new Error(String(error));
  const text = `${e.name}: ${e.message}`;
  if (e.name === 'SyntaxError') {
    const line = await syntaxErrorLine(path);
    return line === undefined ? text : `${text} at ${path}:${line}`;
  }
  // An ES module's frames name file: URLs, a CommonJS module's absolute paths. Frames in the
  // daemon or its dependencies (cosmiconfig's loader) are not the author's.
  for (const frame of (e.stack ?? '').matchAll(/^\s+at (?:.*\()?(file:\/\/[^)\s]+?|\/[^)\s]+?):(\d+):(\d+)\)?$/gm)) {
    const file = frame[1]!.startsWith('file:') ? fileURLToPath(frame[1]!) : frame[1]!;
    if (!OWN.some((dir) => file.startsWith(dir))) return `${text} at ${file}:${frame[2]}:${frame[3]}`;
  }
  return text;
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
