// The package as a user gets it (issue 12), and the slowest test of the suite
// (3.5 minutes on the shared 2-core machine: npm pack builds dist/ and checks
// the prebuilt addon, npm install fetches ~140 packages from the npm cache or
// the registry, tsc checks the shipped types with their dependencies'):
//   1. `npm pack` the project (prepack: scripts/prebuild.mjs puts the addon
//      in prebuilds/linux-x64/),
//   2. `npm install <tarball>` into a scratch folder with a PATH holding node,
//      npm, a shell and basic tools only (no cmake, g++, c++, gcc, nvcc, make,
//      ninja): the install script must take the prebuild and compile nothing,
//   3. run the installed bin (`npx hypersweep --help`, a real MLP trial on the
//      prebuilt addon, `status` of a study the library made), an ESM script
//      that uses the library API, and `tsc --noEmit` on a TypeScript file
//      against the shipped types (with @ts-expect-error lines: an `any` in the
//      types would make those fail).
// The prebuilt binary is made for linux-x64 only: elsewhere this is skipped.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ROOT } from './helpers/cli.js';

const PREBUILD = path.join('prebuilds', 'linux-x64', 'hypersweep.napi8.glibc.node');
const COMPILERS = ['cmake', 'g++', 'c++', 'gcc', 'cc', 'clang', 'nvcc', 'make', 'ninja'];
const TOOLS = ['node', 'npm', 'npx', 'sh', 'bash', 'env', 'cat', 'ls', 'mkdir', 'rm', 'cp', 'mv', 'ln', 'chmod', 'uname',
  'dirname', 'basename', 'readlink', 'sed', 'grep', 'tar', 'gzip', 'true', 'false', 'which', 'head', 'tail', 'tr', 'sort',
  'uniq', 'xargs', 'find', 'date', 'id'];

const onLinuxX64 = process.platform === 'linux' && process.arch === 'x64';

function which(tool: string, PATH = process.env['PATH'] ?? ''): string | undefined {
  for (const dir of PATH.split(path.delimiter)) {
    const file = path.join(dir, tool);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** The environment without npm's own variables (a test run by `npm test` inherits npm_config_*). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_|^INIT_CWD$|^HS_|^HYPERSWEEP_/.test(key)) env[key] = value;
  }
  return { ...env, ...extra };
}

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command without blocking this thread (a synchronous spawn of a minute
 * or more starves vitest's worker RPC and fails the run).
 */
function runAsync(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 300_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function show(r: Ran): string {
  return `exit ${r.status}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`;
}

describe.skipIf(!onLinuxX64)('the packed package, installed without a compiler', () => {
  let scratch = '';
  let app = '';
  let userEnv: NodeJS.ProcessEnv = {};
  let tarball = '';
  let install: Ran;
  const nvcc = which('nvcc') !== undefined;
  const run = (file: string, args: string[]): Promise<Ran> => runAsync(file, args, app, userEnv);

  beforeAll(async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-package-'));
    // 1. Pack, with the developer's PATH (the prebuild is compiled here).
    const packEnv = cleanEnv(nvcc ? {} : { HYPERSWEEP_PREBUILD_WITHOUT_CUDA: '1' });
    const pack = await runAsync('npm', ['pack', '--json', '--pack-destination', scratch], ROOT, packEnv, 600_000);
    if (pack.status !== 0) throw new Error(`npm pack failed: ${show(pack)}`);
    const packed = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(scratch, packed[0]!.filename);
    expect(packed[0]!.files.map((f) => f.path)).toContain(PREBUILD);

    // 2. A PATH of symlinks to node, npm, a shell and basic tools: nothing that compiles.
    const bin = path.join(scratch, 'bin');
    fs.mkdirSync(bin);
    for (const tool of TOOLS) {
      const file = which(tool);
      if (file) fs.symlinkSync(file, path.join(bin, tool));
    }
    userEnv = cleanEnv({ PATH: bin });
    app = path.join(scratch, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'hs-user', private: true, type: 'module' }));
    install = await run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts']);
  }, 900_000);

  afterAll(() => {
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('installs with no compiler on PATH, taking the prebuilt addon (nothing compiled)', () => {
    for (const tool of COMPILERS) expect(which(tool, userEnv['PATH']), `${tool} on the user's PATH`).toBeUndefined();
    expect(install.status, show(install)).toBe(0);
    expect(install.stdout + install.stderr).toMatch(/hypersweep: using the prebuilt addon prebuilds\/linux-x64\/hypersweep\.napi8\.glibc\.node/);
    const pkg = path.join(app, 'node_modules', 'hypersweep');
    expect(fs.existsSync(path.join(pkg, PREBUILD))).toBe(true);
    expect(fs.existsSync(path.join(pkg, 'build'))).toBe(false); // no local build: the prebuild is the only addon
  });

  it('npx hypersweep --help lists the commands', async () => {
    const r = await run('npx', ['--no-install', 'hypersweep', '--help']);
    expect(r.status, show(r)).toBe(0);
    expect(r.stdout).toMatch(/Usage: hypersweep \[options\] \[command\]/);
    expect(r.stdout).toMatch(/^ {2}trial \[options\] <workload>/m);
    expect(r.stdout).toMatch(/^ {2}status \[options\] <study>/m);
  });

  it('runs a real MLP trial (1 epoch, 1,000 images) on the prebuilt addon', async () => {
    const results = path.join(scratch, 'trial-results');
    const r = await run('npx', ['--no-install', 'hypersweep', 'trial', 'mlp', '--subset', '1000', '--set', 'epochs=1', '--set', 'activation=relu', '--set', 'alpha0=0.1',
      '--device', 'cpu', '--results', results, '--json']);
    expect(r.status, show(r)).toBe(0);
    const record = JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!) as {
      state: string;
      train_rows: number;
      epochs: { val_accuracy: number }[];
      native: { buildId: string; cudaCompiled: boolean };
    };
    expect(record.state).toBe('complete');
    expect(record.train_rows).toBe(1000);
    expect(record.epochs).toHaveLength(1);
    // Learning happened: well above chance (0.1) after one epoch (0.68 measured).
    expect(record.epochs[0]!.val_accuracy).toBeGreaterThan(0.4);
    // The CUDA kernels are in the prebuild whenever nvcc was there to pack it.
    expect(record.native.cudaCompiled).toBe(nvcc);
    // Trials are recorded where asked.
    expect(fs.readFileSync(path.join(results, 'trials.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('an ESM script uses the library API; the CLI reads the study it made', async () => {
    const results = path.join(scratch, 'api-results');
    fs.writeFileSync(
      path.join(app, 'user.mjs'),
      `import { createStudy, HypersweepError, leaderboard, loadStudy } from 'hypersweep';

const results = process.argv[2];
const study = await createStudy({
  name: 'quad',
  space: { x: { type: 'float', low: -4, high: 4 } },
  direction: 'minimize',
  sampler: 'tpe',
  seed: 7,
  results,
});
// Define-by-run beside the space's x.
const run = await study.optimize((trial) => {
  const y = trial.suggestFloat('y', -2, 2);
  return (trial.params.x - 1) ** 2 + y * y;
}, { trials: 12 });
// Ask-and-tell.
const trial = await study.ask();
await study.tell(trial, 0.5);
const best = study.bestTrial;
const rows = leaderboard('quad', { results });
await study.close();
let error = null;
try {
  await loadStudy('no-such-study', { results });
} catch (e) {
  error = { isHypersweepError: e instanceof HypersweepError, code: e.code };
}
console.log(JSON.stringify({ reason: run.reason, trials: study.trials.length, best, rows: rows.length, error }));
`,
    );
    const r = await run('node', ['user.mjs', results]);
    expect(r.status, show(r)).toBe(0);
    const out = JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!) as {
      reason: string;
      trials: number;
      best: { state: string; value: number; params: Record<string, number> };
      rows: number;
      error: { isHypersweepError: boolean; code: string } | null;
    };
    expect(out.reason).toBe('budget');
    expect(out.trials).toBe(13);
    expect(out.rows).toBe(13);
    expect(out.best.state).toBe('complete');
    expect(out.best.value).toBeCloseTo((out.best.params['x']! - 1) ** 2 + out.best.params['y']! ** 2, 12);
    expect(out.error?.isHypersweepError).toBe(true);
    expect(out.error?.code).toMatch(/^E_/);

    const status = await run('npx', ['--no-install', 'hypersweep', 'status', 'quad', '--results', results, '--json']);
    expect(status.status, show(status)).toBe(0);
    expect(status.stdout).toMatch(/"complete":13/);
  });

  it('a TypeScript file type-checks against the shipped types (tsc --noEmit, strict)', async () => {
    fs.writeFileSync(
      path.join(app, 'user.ts'),
      `import { createStudy, HypersweepError, type Study, type Trial, type TrialInfo } from 'hypersweep';

export async function tune(results: string): Promise<number | null> {
  const study: Study = await createStudy({
    name: 'typed',
    space: { lr: { type: 'float', low: 1e-4, high: 1, log: true }, layers: { type: 'int', low: 1, high: 4 } },
    direction: 'minimize',
    results,
  });
  const trial: Trial = await study.ask();
  const momentum: number = trial.suggestFloat('momentum', 0, 0.99);
  const act: 'relu' | 'tanh' = trial.suggestCategorical('act', ['relu', 'tanh'] as const);
  trial.report(1, momentum);
  const info: TrialInfo = await study.tell(trial, act === 'relu' ? momentum : 1 - momentum);
  // @ts-expect-error: tell takes a number or a result object, not a string
  await study.tell(trial, 'good');
  // @ts-expect-error: a misspelt option is an error
  await createStudy({ name: 'x', directoin: 'minimize' });
  // @ts-expect-error: a trial's number is a number
  const wrong: string = info.number;
  void wrong;
  try {
    await study.close();
  } catch (error) {
    if (error instanceof HypersweepError) return error.code.length;
  }
  return study.bestTrial?.value ?? null;
}
`,
    );
    fs.writeFileSync(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          // Node's types from the project (the user would install @types/node).
          typeRoots: [path.join(ROOT, 'node_modules', '@types')],
          types: ['node'],
          skipLibCheck: false,
        },
        files: ['user.ts'],
      }),
    );
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = await run('node', [tsc, '-p', 'tsconfig.json']);
    expect(r.status, show(r)).toBe(0);
  });

  it('the checkout is left as it was: postpack removed prebuilds/', () => {
    expect(fs.existsSync(path.join(ROOT, 'prebuilds'))).toBe(false);
    // The tarball exists and holds the prebuild (checked at pack time); nothing else to clean.
    expect(execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' })).toMatch(/package\/prebuilds\/linux-x64\//);
  });
});
