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
  const match = /[/\\]node_modules[/\\]((?:@[^/\\]+[/\\])?[^/\\]+)[/\\](?:index\.js|lib[/\\]index\.js|dist[/\\]cjs[/\\]index\.js)$/.exec(request);
  return match ? match[1]!.replace(/\\/g, '/') : undefined;
}

export function onModuleLoad(name: string, handler: OnLoad): void {
  const list = handlers.get(name) ?? [];
  list.push(handler);
  handlers.set(name, list);
  install();
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
