// What a light entry point (the CLI's --help, status, leaderboard; `import
// 'hypersweep'`) must not load, as patterns over the module URLs and paths
// listed by test/helpers/module-trace.mjs.
export const HEAVY_MODULES: ReadonlyArray<readonly [string, RegExp]> = [
  ['tfjs', /@tensorflow/],
  ['sharp', /\/node_modules\/sharp\//],
  ['the addon', /\.node$/],
  ['piscina', /\/node_modules\/piscina\//],
  ['bullmq', /\/node_modules\/bullmq\//],
  ['ioredis', /\/node_modules\/ioredis\//],
];

/**
 * Libraries that cost a light command start-up time (tens of modules each)
 * and that it does not need: the MLP's parameter schema (zod), the space-file
 * parser (yaml), the journal's logger (pino), progress bars, and the study
 * lock's package (proper-lockfile and graceful-fs beneath it: taking a lock
 * needs it, checking one is a stat). Each loads in the command that uses it.
 */
export const START_UP_MODULES: ReadonlyArray<readonly [string, RegExp]> = [
  ['zod', /\/node_modules\/zod\//],
  ['yaml', /\/node_modules\/yaml\//],
  ['pino', /\/node_modules\/pino\//],
  ['cli-progress', /\/node_modules\/cli-progress\//],
  ['proper-lockfile', /\/node_modules\/proper-lockfile\//],
  ['graceful-fs', /\/node_modules\/graceful-fs\//],
];

function namesIn(list: ReadonlyArray<readonly [string, RegExp]>, modules: readonly string[]): string[] {
  return list.filter(([, pattern]) => modules.some((m) => pattern.test(m))).map(([name]) => name);
}

/** The names of the heavy modules among `modules`. */
export function heavyIn(modules: readonly string[]): string[] {
  return namesIn(HEAVY_MODULES, modules);
}

/** The names of the start-up libraries (START_UP_MODULES) among `modules`. */
export function startUpLibrariesIn(modules: readonly string[]): string[] {
  return namesIn(START_UP_MODULES, modules);
}
