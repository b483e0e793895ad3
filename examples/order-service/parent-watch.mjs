// Preloaded by start.mjs into every process it starts: when start.mjs goes away without stopping its
// children (killed with SIGKILL, say), the stdin pipe it holds closes and the child stops itself with
// SIGTERM, the same clean path as a normal stop. Not part of the services: a real deployment has its
// own supervisor.
process.stdin.on('end', () => process.kill(process.pid, 'SIGTERM'));
process.stdin.on('error', () => process.kill(process.pid, 'SIGTERM'));
process.stdin.resume();
// Watching must not keep a process alive that would otherwise end (the viewer ends when its servers close).
process.stdin.unref();
