// `--watch`: a change under the watched paths (node_modules and dot-folders aside) restarts the
// workers, debounced so that an editor's save, or a build writing many files, restarts them once.
import { watch, type FSWatcher } from 'node:fs';

const DEBOUNCE_MILLIS = 300;

function ignored(file: string | null): boolean {
  if (file === null) return false;
  return file.split(/[/\\]/).some((part) => part === 'node_modules' || (part.startsWith('.') && part.length > 1));
}

export function watchPaths(paths: string[], onChange: (file: string) => void, warn: (message: string) => void): () => void {
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  let changed = '';
  for (const path of paths) {
    try {
      const watcher = watch(path, { recursive: true }, (_event, file) => {
        const name = file === null ? null : String(file);
        if (ignored(name)) return;
        changed = name ?? path;
        if (timer !== undefined) clearTimeout(timer);
        timer = setTimeout(() => {
          timer = undefined;
          onChange(changed);
        }, DEBOUNCE_MILLIS);
      });
      watcher.on('error', (error) => warn(`stopped watching ${path}: ${error.message}`));
      watchers.push(watcher);
    } catch (error) {
      warn(`cannot watch ${path}: ${(error as Error).message}`);
    }
  }
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}
