// Captures Sightline's diagnostics instead of writing them to stderr.
import { log } from '../../src/diag/logger.js';

export function captureLog(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  log.setSink((line) => lines.push(line));
  return { lines, restore: () => log.setSink((line) => process.stderr.write(line + '\n')) };
}
