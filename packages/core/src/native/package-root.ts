/**
 * Find the root directory of a named package from a file inside it.
 *
 * @module native/package-root
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory of the `package.json` whose `name` is `packageName`, found by walking up from the
 * directory of `from` (an `import.meta.url`). A `package.json` that cannot be read or parsed, or that
 * names another package (a nested `dist/package.json`, a workspace root), is passed over.
 *
 * @param from a `file:` URL inside the package, normally the caller's `import.meta.url`
 * @param packageName the `name` field to look for, e.g. `@magikrun/runtime-youki`
 * @returns the absolute directory, or `undefined` when the file system root is reached first.
 *   Throws only a `TypeError` when `from` is not a `file:` URL.
 */
export function packageRoot(from: string, packageName: string): string | undefined {
  let dir = path.dirname(fileURLToPath(from));
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === packageName) return dir;
      } catch {
        // not ours; keep walking
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}
