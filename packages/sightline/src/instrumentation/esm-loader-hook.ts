// A module customization hook (module.register), run by Node on its loader thread. For the few
// ES-module files Sightline must patch, it appends one line that hands an exported binding to the
// main thread's callback; every other module passes through untouched.

export interface Target {
  /** The end of the file URL, e.g. "/node_modules/hono/dist/router/smart-router/router.js". */
  suffix: string;
  /** An identifier exported by that module. */
  exportName: string;
  key: string;
}

let targets: Target[] = [];

export function initialize(data: { targets: Target[] }): void {
  targets = data.targets;
}

export type LoadResult = { format?: string; source?: string | ArrayBuffer | Uint8Array; shortCircuit?: boolean };
type NextLoad = (url: string, context: unknown) => Promise<LoadResult>;

/** Appends the hand-over line to a target module's source; any other module is returned as it is. */
export function appendHandOver(url: string, result: LoadResult, list: Target[]): LoadResult {
  if (result.format !== 'module' || result.source === undefined) return result;
  for (const target of list) {
    if (!url.endsWith(target.suffix)) continue;
    const source = typeof result.source === 'string' ? result.source : Buffer.from(result.source as Uint8Array).toString('utf8');
    const hand = `\n;globalThis[Symbol.for('sightline.esmExport')]?.(${JSON.stringify(target.key)}, ${target.exportName});\n`;
    return { ...result, source: source + hand };
  }
  return result;
}

export async function load(url: string, context: unknown, nextLoad: NextLoad): Promise<LoadResult> {
  return appendHandOver(url, await nextLoad(url, context), targets);
}
