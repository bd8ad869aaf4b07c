// Running the yardsticks (OpenBLAS, PyTorch) as subprocesses that print one
// JSON object per line. Each runs in an environment without OPENBLAS_CORETYPE
// and OPENBLAS_L2_SIZE: some machines here set them to work around old
// OpenBLAS builds, and they select a slower kernel. They are removed together,
// for the yardstick's process only; tests and CI keep them as they are.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

export type JsonRecord = Record<string, unknown> & { kind?: unknown };

export type Availability = { ok: true; path: string } | { ok: false; reason: string };

export function yardstickEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

function firstLines(text: string, n: number): string {
  return text.trim().split('\n').slice(0, n).join(' | ');
}

/**
 * Compiles bench/openblas_sgemm.c into `binary` unless an up-to-date build is
 * there already (the binary is newer than the source). Missing OpenBLAS is a
 * reason to skip, not an error.
 */
export function buildOpenblasBench(source: string, binary: string): Availability {
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return { ok: true, path: binary };
  mkdirSync(dirname(binary), { recursive: true });
  const cc = spawnSync('cc', ['-O2', source, '-o', binary, '-lopenblas'], { encoding: 'utf8' });
  if (cc.error || cc.status !== 0) {
    const why = cc.error ? cc.error.message : firstLines(cc.stderr, 2);
    return { ok: false, reason: `OpenBLAS benchmark did not build (${why}); apt-get install libopenblas-dev` };
  }
  return { ok: true, path: binary };
}

/** Whether `python` can import torch; the reason names the package to install when not. */
export function torchAvailable(python: string): Availability {
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error) return { ok: false, reason: `${python} did not run (${probe.error.message}); apt-get install python3-torch` };
  if (probe.status !== 0) {
    return { ok: false, reason: `${python} cannot import torch (${firstLines(probe.stderr, 1).slice(-120)}); apt-get install python3-torch` };
  }
  return { ok: true, path: python };
}

/**
 * Runs a command, parses each stdout line as JSON and hands it to `onRecord` as
 * it arrives (so long runs show progress). Resolves with all records; rejects
 * when the command fails or prints something that is not JSON.
 */
export function runJsonLines(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  onRecord: (record: JsonRecord) => void = () => {},
): Promise<JsonRecord[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const records: JsonRecord[] = [];
    let stderr = '';
    let bad: string | undefined;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.trim() === '') return;
      try {
        const record = JSON.parse(line) as JsonRecord;
        records.push(record);
        onRecord(record);
      } catch {
        bad ??= line;
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const cmd = [command, ...args].join(' ');
      if (code !== 0) reject(new Error(`${cmd} exited with ${code}: ${firstLines(stderr, 5)}`));
      else if (bad !== undefined) reject(new Error(`${cmd} printed a line that is not JSON: ${bad.slice(0, 200)}`));
      else resolve(records);
    });
  });
}

export function num(record: JsonRecord, key: string): number {
  const value = record[key];
  if (typeof value !== 'number') throw new Error(`yardstick record lacks number ${key}: ${JSON.stringify(record)}`);
  return value;
}

export function str(record: JsonRecord, key: string): string {
  const value = record[key];
  return typeof value === 'string' ? value : String(value);
}
