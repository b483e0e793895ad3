// The app's own package.json: the nearest one, walking up from the entry script (or the working
// directory), that the caller accepts. Read once at start-up by resource detection and the ES-module hook.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface PackageJson {
  name?: unknown;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

export function appPackageJson(accept: (pkg: PackageJson) => boolean = () => true): { pkg: PackageJson; path: string } | undefined {
  let dir = process.argv[1] ? dirname(resolve(process.argv[1])) : process.cwd();
  for (;;) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) {
      try {
        const pkg = JSON.parse(readFileSync(path, 'utf8')) as PackageJson;
        if (accept(pkg)) return { pkg, path };
      } catch {
        // An unreadable package.json is not ours to report; keep looking upward.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
