// The hypersweep version, read once from package.json. Its own module so that
// light code (worker threads of module objectives, the library) does not load
// what the trial records need (pino, the addon).
import { readFileSync } from 'node:fs';

let version: string | undefined;
/** The hypersweep version from package.json (two folders up from src/ and dist/ files' folders). */
export function hypersweepVersion(): string {
  if (version === undefined) {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    version = typeof pkg.version === 'string' ? pkg.version : 'unknown';
  }
  return version;
}
