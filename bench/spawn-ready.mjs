// Starts a benchmark process (an app, the sink) and waits for the first line of JSON it prints, which
// says where it listens: {"port": N} from an app, {"otlp": N, …} from the sink.
import { spawn } from 'node:child_process';

export function spawnReady(command, args, env, cwd, timeoutMs = 30_000) {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start: ${err}`)), timeoutMs);
    child.stdout.on('data', () => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line));
      }
    });
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}): ${err}`)));
  });
  ready.catch(() => {});
  return { child, ready, stderr: () => err };
}
