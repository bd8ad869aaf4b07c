// Importing the package is light and typed: `import('hypersweep')` in a fresh
// node process loads no TensorFlow.js, sharp, native addon, Piscina or Redis
// client (traced by test/helpers/module-trace.mjs, with a control that the
// trace does see them when they load), the shipped declarations hold no
// `any`, and a user's TypeScript file type-checks against them — and fails
// to where it misuses the API. Times are measured by `npm run bench:startup`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadApi, scratchDir } from './helpers/api.js';
import { ROOT } from './helpers/cli.js';
import { heavyIn, startUpLibrariesIn } from './helpers/heavy-modules.js';

const TRACE = path.join(ROOT, 'test', 'helpers', 'module-trace.mjs');

let scratch = '';
beforeAll(async () => {
  await loadApi(); // dist/ up to date
  scratch = scratchDir('api-import');
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** Runs an ES module script in a fresh node (cwd: the package root) under the module trace; returns what it loaded. */
function loadedBy(name: string, script: string): string[] {
  const trace = path.join(scratch, `${name}.txt`);
  const r = spawnSync(process.execPath, ['--import', TRACE, '--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { ...process.env, HS_TRACE_FILE: trace },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return fs.readFileSync(trace, 'utf8').split('\n').filter(Boolean);
}


describe('import hypersweep', () => {
  it('loads none of tfjs, sharp, the addon, piscina, bullmq, ioredis', () => {
    const modules = loadedBy('entry', "const hs = await import('hypersweep'); if (typeof hs.createStudy !== 'function') process.exit(3);");
    expect(modules.some((m) => m.endsWith('/dist/index.js'))).toBe(true);
    expect(heavyIn(modules)).toEqual([]);
    // Nor zod, yaml, pino, progress bars or proper-lockfile (start-up: test/helpers/heavy-modules.ts).
    expect(startUpLibrariesIn(modules)).toEqual([]);
    // Nor the study machinery (space validator, samplers): createStudy / loadStudy load it on their first call.
    expect(modules.filter((m) => /\/node_modules\/(zod|yaml)\/|\/dist\/(samplers\/tpe|space\/validate|api\/study-handle)/.test(m))).toEqual([]);
  });

  it('(control) the trace sees them when they do load: the addon, tfjs, piscina', () => {
    const modules = loadedBy(
      'control',
      "const { addon } = await import('./dist/engine/native.js'); addon(); await import('@tensorflow/tfjs'); await import('piscina');",
    );
    expect(heavyIn(modules)).toEqual(['tfjs', 'the addon', 'piscina']);
  });

  it('running an objective function in this process loads no tfjs, sharp or addon either', () => {
    const results = path.join(scratch, 'results');
    const modules = loadedBy(
      'run',
      `const { createStudy } = await import('hypersweep');
       const study = await createStudy({ name: 'light', results: ${JSON.stringify(results)}, seed: 1, space: { x: { type: 'float', low: 0, high: 1 } } });
       await study.optimize((t) => t.params.x + t.suggestFloat('y', 0, 1), { trials: 3 });
       await study.close();`,
    );
    expect(modules.some((m) => m.endsWith('/dist/dispatch/controller.js'))).toBe(true);
    expect(modules.some((m) => m.endsWith('/dist/api/study-handle.js'))).toBe(true);
    // (The dispatcher's modules name Piscina statically: it loads, and starts no thread.)
    expect(heavyIn(modules).filter((what) => what !== 'piscina')).toEqual([]);
  });
});

describe('the shipped types', () => {
  it('dist/index.d.ts and every declaration it reaches hold no `any`', () => {
    const seen = new Set<string>();
    const todo = [path.join(ROOT, 'dist', 'index.d.ts')];
    while (todo.length > 0) {
      const file = todo.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/from '(\.[^']+)'|import\('(\.[^']+)'\)/g)) {
        todo.push(path.join(path.dirname(file), (m[1] ?? m[2]!).replace(/\.js$/, '.d.ts')));
      }
      const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      expect(code.match(/.*\bany\b.*/g) ?? [], file).toEqual([]);
    }
    expect(seen.size).toBeGreaterThan(5);
  });

  it("a user's TypeScript type-checks against them, and misuse does not", () => {
    const dir = path.join(scratch, 'user');
    fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
    fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'hypersweep'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: [] }, files: ['use.ts'] }),
    );
    fs.writeFileSync(
      path.join(dir, 'use.ts'),
      `import { createStudy, leaderboard, HypersweepError, type Trial, type LeaderboardRow, type ModuleObjective } from 'hypersweep';
// A module objective (run in the pool): its ctx suggests as a trial does.
export const objective: ModuleObjective = async (params, ctx) => {
  const rate: number = ctx.suggestFloat('rate', 1e-4, 1, { log: true });
  const opt: 'sgd' | 'adam' = ctx.suggestCategorical('opt', ['sgd', 'adam'] as const);
  ctx.report(1, rate + ctx.suggestInt('k', 1, 3));
  if (ctx.shouldPrune() || ctx.signal.aborted) return rate;
  // @ts-expect-error suggestInt returns a number
  const bad: string = ctx.suggestInt('k', 1, 3);
  void bad;
  return { value: rate * (opt === 'sgd' ? 1 : 2) * Number(params.x ?? 1), metrics: { trial: ctx.trial, seed: ctx.seed } };
};
const study = await createStudy({ name: 's', space: { x: { type: 'float', low: 0, high: 1 } }, direction: 'maximize' });
const trial: Trial = await study.ask();
const lr: number = trial.suggestFloat('lr', 1e-4, 1, { log: true });
const act: 'relu' | 'tanh' = trial.suggestCategorical('act', ['relu', 'tanh'] as const);
trial.report(1, lr);
if (trial.shouldPrune()) await study.tell(trial, { state: 'pruned' });
else await study.tell(trial, lr);
const result = await study.optimize(async (t) => t.suggestInt('n', 1, 4) * (act === 'relu' ? 1 : 2), { trials: 5, onTrial: (t) => t.value });
const best: number | null = result.best?.value ?? null;
const rows: LeaderboardRow[] = leaderboard('s');
try { await study.close(); } catch (e) { if (e instanceof HypersweepError) console.log(e.code, best, rows.length); }
// @ts-expect-error a value is a number
await study.tell(trial, 'high');
// @ts-expect-error states are complete, pruned or failed
await study.tell(trial, { state: 'crashed' });
// @ts-expect-error suggestCategorical returns one of its choices
const wrong: 'sigmoid' = trial.suggestCategorical('act', ['relu', 'tanh'] as const);
// @ts-expect-error the direction is maximize or minimize
await createStudy({ name: 't', direction: 'up' });
// @ts-expect-error a trial's fields are read-only
trial.number = 3;
void wrong;
`,
    );
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
