// Main-thread side of esm-loader-hook: registers the hook (only when a package to patch is installed)
// and routes each handed-over export to the instrumentation that asked for it.
import * as nodeModule from 'node:module';
import { join } from 'node:path';
import { log } from '../diag/logger.js';
import { appPackageJson } from '../resource/app-package.js';
import { appendHandOver, type LoadResult } from './esm-loader-hook.js';

export interface EsmTarget {
  /** The package that must be resolvable from the app for the hook to be worth registering. */
  packageName: string;
  suffix: string;
  exportName: string;
  onExport(value: unknown): void;
}

const callbacks = new Map<string, (value: unknown) => void>();

/** The dependencies the app declares in its nearest package.json; undefined when it has none. */
function declaredDependencies(): Set<string> | undefined {
  const pkg = appPackageJson()?.pkg;
  if (pkg === undefined) return undefined;
  return new Set([
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.devDependencies ?? {}),
    ...Object.keys(pkg.optionalDependencies ?? {}),
  ]);
}

/** Whether the app uses the package: declared in its package.json, or (with none) resolvable from it. */
function used(packageName: string, declared: Set<string> | undefined): boolean {
  if (declared !== undefined) return declared.has(packageName);
  try {
    nodeModule.createRequire(process.argv[1] ?? join(process.cwd(), 'index.js')).resolve(packageName);
    return true;
  } catch {
    return false;
  }
}

/**
 * Registers the ES-module hook for the targets the app uses; the returned function forgets them (a
 * loader hook cannot be removed, but it then hands nothing over).
 */
export function registerEsmPatches(targets: EsmTarget[], hookUrl: URL): () => void {
  const forget = (): void => {
    for (const t of targets) if (callbacks.get(t.suffix) === t.onExport) callbacks.delete(t.suffix);
  };
  if (targets.length === 0) return forget;
  const declared = declaredDependencies();
  const wanted = targets.filter((t) => used(t.packageName, declared));
  if (wanted.length === 0) return forget;
  for (const t of wanted) callbacks.set(t.suffix, t.onExport);
  (globalThis as Record<symbol, unknown>)[Symbol.for('sightline.esmExport')] = (key: string, value: unknown): void => {
    try {
      callbacks.get(key)?.(value);
    } catch (error) {
      log.warnOnce(`esm:${key}`, `could not instrument ${key}: ${(error as Error).message}`);
    }
  };
  const data = { targets: wanted.map((t) => ({ suffix: t.suffix, exportName: t.exportName, key: t.suffix })) };
  try {
    const registerHooks = (nodeModule as { registerHooks?: (hooks: object) => unknown }).registerHooks;
    if (typeof registerHooks === 'function') {
      // Node 22.15+ / 23.5+: synchronous hooks on this thread, no loader thread to pay for.
      registerHooks({
        load: (url: string, context: unknown, nextLoad: (u: string, c: unknown) => LoadResult) =>
          appendHandOver(url, nextLoad(url, context), data.targets),
      });
    } else {
      nodeModule.register(hookUrl.href, { data });
    }
  } catch (error) {
    log.warn(
      `could not register the ES-module hook; ${wanted.map((t) => t.packageName).join(', ')} imported as ES modules run without route names:`,
      error,
    );
  }
  return forget;
}
