import { fileURLToPath } from 'node:url';

/**
 * Where a native helper built by scripts/build-native.mjs lives: dist/native/NAME, next to this
 * module's directory (dist/core/, in tsc's output and in the bundle alike).
 */
export function nativePath(name: string): string {
  return fileURLToPath(new URL(`../native/${name}`, import.meta.url));
}
