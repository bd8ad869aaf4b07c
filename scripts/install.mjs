// npm's install hook: use the prebuilt addon shipped in the package when it
// loads on this machine (linux-x64 with glibc: scripts/prebuild.mjs made it at
// pack time); otherwise compile the addon from native/ with cmake-js, which
// needs cmake and a C++ compiler (and nvcc for the CUDA kernels). Nothing is
// downloaded here. HYPERSWEEP_BUILD_FROM_SOURCE=1 compiles even when a
// prebuild loads.
//
// The prebuild's name comes from dist/engine/addon-path.js, the code that
// loads the addon at run time. A git checkout has no dist/ yet when `npm ci`
// runs this (prepare builds it after) and no prebuilds/ either: it compiles.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const say = (line) => process.stderr.write(`hypersweep: ${line}\n`);

async function usablePrebuild() {
  if (process.env.HYPERSWEEP_BUILD_FROM_SOURCE === '1') return undefined;
  const resolver = path.join(root, 'dist', 'engine', 'addon-path.js');
  if (!existsSync(resolver)) return undefined;
  const { prebuildFile } = await import(pathToFileURL(resolver).href);
  const file = path.join(root, prebuildFile());
  if (!existsSync(file)) return undefined;
  try {
    require(file).buildInfo();
    return file;
  } catch (error) {
    say(`the prebuilt addon ${path.relative(root, file)} does not load here (${error.message.split('\n')[0]}): compiling it`);
    return undefined;
  }
}

const prebuild = await usablePrebuild();
if (prebuild) {
  say(`using the prebuilt addon ${path.relative(root, prebuild)} (nothing to compile)`);
} else {
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const r = spawnSync(process.execPath, [cmakeJs, 'compile', '--parallel', '2'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    say('compiling the native addon failed: it needs cmake and a C++17 compiler (g++ >= 9 or clang); nvcc adds the CUDA kernels');
    process.exit(r.status ?? 1);
  }
}
