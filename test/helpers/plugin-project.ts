import { cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from './daemon.js';

/**
 * A third party's plugin project, as a user has it: its plugin files next to a
 * `node_modules/xinetd-ts` that is this repository (what `npm install file:...` makes), so the
 * plugins' `import ... from 'xinetd-ts'` resolves the way it does for them. `ownCopy`: a copy
 * of the package instead, as a plugin with its own dependency on xinetd-ts gets.
 */
export function pluginProject(files: Record<string, string>, options: { ownCopy?: boolean } = {}): string {
  const dir = tempDir('xinetd-ts-plugins-');
  mkdirSync(join(dir, 'node_modules'));
  const pkg = join(dir, 'node_modules', 'xinetd-ts');
  if (options.ownCopy) {
    // A copy, as npm installs a plugin's own dependency: same code, other module instances.
    mkdirSync(pkg);
    cpSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
    cpSync(join(ROOT, 'dist'), join(pkg, 'dist'), { recursive: true, filter: (path) => !path.startsWith(join(ROOT, 'dist', 'test')) });
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  } else {
    symlinkSync(ROOT, pkg, 'dir');
  }
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
