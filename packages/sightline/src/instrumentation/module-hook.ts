// Light patching for libraries that publish no diagnostics channels: a hook on CommonJS loading that
// hands a package's exports to its instrumentation once, as it is first loaded. ES-module apps that
// import a CommonJS package (Express is one) load it through the same function.
import Module from 'node:module';

type OnLoad = (exports: unknown) => void;
interface ModuleWithLoad {
  _load(request: string, parent: unknown, isMain: boolean): unknown;
}

const handlers = new Map<string, OnLoad[]>();
const done = new WeakSet<object>();
let original: ModuleWithLoad['_load'] | undefined;

/** The package a load request names, for bare names and for paths inside node_modules. */
function packageOf(request: string): string | undefined {
  if (!request.includes('/')) return request;
  if (request.startsWith('@')) {
    const [scope, name, ...rest] = request.split('/');
    return rest.length === 0 ? `${scope}/${name}` : undefined;
  }
  // An absolute path to a package's main file, as the ES-module loader passes it.
  // Entry files are index.js or named after the package (pino/pino.js, winston/lib/winston.js), at the
  // top or under lib/, built/ (ioredis), dist/ or dist/cjs/.
  const match =
    /[/\\]node_modules[/\\]((?:@[^/\\]+[/\\])?([^/\\]+))[/\\](?:lib[/\\]|built[/\\]|dist[/\\](?:cjs[/\\])?)?(index|[^/\\]+)\.c?js$/.exec(
      request,
    );
  if (!match || (match[3] !== 'index' && match[3] !== match[2])) return undefined;
  return match[1]!.replace(/\\/g, '/');
}

/** Calls `handler` with the package's exports when it first loads; the returned function stops that. */
export function onModuleLoad(name: string, handler: OnLoad): () => void {
  const list = handlers.get(name) ?? [];
  list.push(handler);
  handlers.set(name, list);
  install();
  return () => {
    const current = handlers.get(name);
    if (current === undefined) return;
    const rest = current.filter((h) => h !== handler);
    if (rest.length > 0) handlers.set(name, rest);
    else handlers.delete(name);
  };
}

function install(): void {
  if (original !== undefined) return;
  const mod = Module as unknown as ModuleWithLoad;
  original = mod._load;
  const load = original;
  mod._load = function _load(this: unknown, request: string, parent: unknown, isMain: boolean) {
    const exports = load.call(this, request, parent, isMain);
    if (handlers.size > 0 && typeof request === 'string') {
      const name = packageOf(request);
      const list = name === undefined ? undefined : handlers.get(name);
      if (list !== undefined && exports !== null && (typeof exports === 'object' || typeof exports === 'function') && !done.has(exports)) {
        done.add(exports);
        for (const handler of list) {
          try {
            handler(exports);
          } catch {
            // An instrumentation that cannot patch leaves the library as it was.
          }
        }
      }
    }
    return exports;
  };
}

/**
 * Like onModuleLoad, and also for a package the app loaded before Sightline started (init() called
 * after the imports), whose later requires would come from the cache.
 */
export function onPackage(name: string, handler: OnLoad): () => void {
  const already = loadedPackage(name);
  if (already !== null && (typeof already === 'object' || typeof already === 'function') && !done.has(already)) {
    done.add(already);
    handler(already);
  }
  return onModuleLoad(name, handler);
}

/** Whether the app has loaded the package already (before Sightline started, when asked at init). */
export function isPackageLoaded(name: string): boolean {
  const exports = loadedPackage(name);
  return exports !== undefined && exports !== null;
}

/** A package's exports if the app has loaded it already. */
function loadedPackage(name: string): unknown {
  let entry: string;
  try {
    // Resolved from the app, as its own require() would; absent packages throw and are not loaded.
    entry = Module.createRequire(process.argv[1] ?? `${process.cwd()}/index.js`).resolve(name);
  } catch {
    return undefined;
  }
  return (Module as unknown as { _cache: Record<string, { exports: unknown } | undefined> })._cache[entry]?.exports;
}
