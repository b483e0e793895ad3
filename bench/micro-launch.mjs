// `npm run bench:micro`: runs micro.ts on a supported Node line (BENCH_NODES, one entry: 24 by default;
// `current` for the Node running npm), not on whatever `node` npm found first: this machine's own is
// Node 20, which Sightline no longer supports, and its figures differ from 24's. micro.ts starts its
// helper processes (micro-http.mjs, micro-pino.mjs) with the same binary.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nodeFor, runtimeArgs } from './node-binary.mjs';

const line = process.env.BENCH_NODES ?? '24';
if (line.includes(',')) throw new Error(`BENCH_NODES=${line}: bench:micro runs on one Node line at a time`);
const node = nodeFor(line);
const micro = fileURLToPath(new URL('./micro.ts', import.meta.url));
const { status } = spawnSync(node, [...runtimeArgs(node), '--expose-gc', '--import', 'tsx', micro], { stdio: 'inherit' });
process.exit(status ?? 1);
