// node:http, taken the way CommonJS takes it. An ES-module import of a built-in module reads every one of
// its exports, and node:http's WebSocket, CloseEvent and MessageEvent are lazy getters that load Node's
// bundled undici with TLS, HTTP/2 and web streams (Node 22, 24 and 26 alike). Sightline's ES-module build,
// which `--import sightline/register` loads, took ~8 MB more RSS that way in a plain node:http app on
// Node 24 (bench/README.md, 2026-12-03). ESLint keeps the SDK's modules from importing node:http itself.
export const http: typeof import('node:http') = process.getBuiltinModule('node:http');
