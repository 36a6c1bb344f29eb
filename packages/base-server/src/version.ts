// A service's version is its package.json's `version`, which changesets bumps (`pnpm changeset
// version`, README "Releases"): /health, /ready, logs, metrics and the MCP serverInfo all show it.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The version in the nearest package.json above a module (pass `import.meta.url`): `src/` under jest,
 * `dist/` when built, `/app/dist` in the image (`pnpm deploy` keeps package.json).
 */
export function packageVersion(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const { version } = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
      if (typeof version !== 'string' || version === '') throw new Error(`${file} has no "version"`);
      return version;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(moduleUrl)}`);
    dir = parent;
  }
}
