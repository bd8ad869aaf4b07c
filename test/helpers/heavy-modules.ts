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

/** The names of the heavy modules among `modules`. */
export function heavyIn(modules: readonly string[]): string[] {
  return HEAVY_MODULES.filter(([, pattern]) => modules.some((m) => pattern.test(m))).map(([name]) => name);
}
