// Main-thread side of esm-loader-hook: registers the hook (only when a package to patch is installed)
// and routes each handed-over export to the instrumentation that asked for it.
import { createRequire, register } from 'node:module';
import { join } from 'node:path';
import { log } from '../diag/logger.js';

export interface EsmTarget {
  /** The package that must be resolvable from the app for the hook to be worth registering. */
  packageName: string;
  suffix: string;
  exportName: string;
  onExport(value: unknown): void;
}

const callbacks = new Map<string, (value: unknown) => void>();

function installed(packageName: string): boolean {
  const from = process.argv[1] ? process.argv[1] : join(process.cwd(), 'index.js');
  try {
    createRequire(from).resolve(packageName);
    return true;
  } catch {
    return false;
  }
}

export function registerEsmPatches(targets: EsmTarget[], hookUrl: URL): void {
  const wanted = targets.filter((t) => installed(t.packageName));
  if (wanted.length === 0 || typeof register !== 'function') return;
  for (const t of wanted) callbacks.set(t.suffix, t.onExport);
  (globalThis as Record<symbol, unknown>)[Symbol.for('sightline.esmExport')] = (key: string, value: unknown): void => {
    try {
      callbacks.get(key)?.(value);
    } catch (error) {
      log.warnOnce(`esm:${key}`, `could not instrument ${key}: ${(error as Error).message}`);
    }
  };
  try {
    register(hookUrl.href, { data: { targets: wanted.map((t) => ({ suffix: t.suffix, exportName: t.exportName, key: t.suffix })) } });
  } catch (error) {
    log.warn(`could not register the ES-module hook; ${wanted.map((t) => t.packageName).join(', ')} imported as ES modules run without route names:`, error);
  }
}
