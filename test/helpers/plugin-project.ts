import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from './daemon.js';

/**
 * A third party's plugin project, as a user has it: its plugin files next to a
 * `node_modules/xinetd-ts` that is this repository (what `npm install file:...` makes), so the
 * plugins' `import ... from 'xinetd-ts'` resolves the way it does for them.
 */
export function pluginProject(files: Record<string, string>): string {
  const dir = tempDir('xinetd-ts-plugins-');
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'xinetd-ts'), 'dir');
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
