// npm's prepack hook (node --import tsx scripts/prebuild.mjs): builds the
// prebuilt addon shipped in the package for linux-x64 (glibc), so that users of
// that platform install without a compiler (scripts/install.mjs then loads it
// and compiles nothing). `--clean` (postpack) removes prebuilds/ again: the
// binary is a build output, made at pack time, never committed, and a stale one
// must not shadow a developer's fresh build/Release.
//
// The build: the same as `npm run build:native` (cmake-js compile in build/,
// Release), so a pack after a build only checks and copies; the CUDA kernels
// with the static CUDA runtime (CMakeLists.txt: CUDA::cudart_static, so only
// the driver is needed).
// Checked before it is copied: no -march=native or other CPU-specific flag
// outside the AVX2/AVX-512 kernel files (the GEMM kernel is picked at run time,
// so the binary must run on any x64 CPU); no libcudart among its shared
// libraries; it loads, and has the CUDA kernels unless
// HYPERSWEEP_PREBUILD_WITHOUT_CUDA=1. It prints the oldest glibc and libstdc++
// it loads with: where those are older, it does not load, and the install
// script compiles instead.
//
// libstdc++ stays a shared library: linked in statically (GCC 12, glibc 2.36
// here) the binary would need glibc 2.36 (arc4random, _dl_find_object), while
// shared it needs glibc 2.34 and GCC 12's libstdc++ (GLIBCXX_3.4.30), which
// e.g. Ubuntu 22.04 has.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { prebuildFile } from '../src/engine/addon-path.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (line) => process.stderr.write(`hypersweep prebuild: ${line}\n`);
const fail = (line) => {
  say(`error: ${line}`);
  process.exit(1);
};

if (process.argv.includes('--clean')) {
  fs.rmSync(path.join(root, 'prebuilds'), { recursive: true, force: true });
  process.exit(0);
}
if (process.platform !== 'linux' || process.arch !== 'x64') {
  say(`prebuilt binaries are made on linux-x64 only (this is ${process.platform}-${process.arch}): packing without one`);
  process.exit(0);
}

const out = path.join(root, 'build');
const cmakeJs = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js');
const jobs = String(Math.min(8, Math.max(2, availableParallelism())));
const args = [cmakeJs, 'compile', '--out', out, '--config', 'Release', '--parallel', jobs];
say(`building ${path.relative(root, out)} (cmake-js compile, Release)`);
// Progress to stderr: npm pack --json reads stdout.
const build = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', process.stderr, 'inherit'] });
if (build.status !== 0) fail(`cmake-js exited with ${build.status}`);
const built = path.join(out, 'Release', 'hypersweep.node');
if (!fs.existsSync(built)) fail(`${built} was not made`);

// 1. No CPU-specific code generation outside the kernels chosen at run time.
const commands = JSON.parse(fs.readFileSync(path.join(out, 'compile_commands.json'), 'utf8'));
for (const entry of commands) {
  const line = entry.command ?? entry.arguments?.join(' ') ?? '';
  if (/-m(arch|tune|cpu)=native\b/.test(line) || /-march=(?!x86-64\b)\S+/.test(line)) {
    fail(`${entry.file} is compiled with a CPU-specific -march/-mtune: ${line}`);
  }
  const simd = line.match(/-m(avx\S*|fma|sse4\S*|bmi\S*)/g) ?? [];
  if (simd.length && !/_(avx2|avx512)\.cpp$/.test(entry.file)) {
    fail(`${entry.file} is compiled with ${simd.join(' ')}: only the *_avx2/_avx512 kernel files may be (picked at run time)`);
  }
}

// 2. Its shared libraries: the system's C and C++ libraries, never the CUDA runtime.
let needed = [];
try {
  const dynamic = execFileSync('readelf', ['-d', built], { encoding: 'utf8' });
  needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
} catch {
  say('readelf not found: shared libraries not checked');
}
const unwanted = needed.filter((lib) => /cudart|cublas/.test(lib));
if (unwanted.length) fail(`${built} needs ${unwanted.join(', ')}: the CUDA runtime must be linked statically (cudart_static)`);

// 3. The newest symbol versions it uses: the oldest glibc and libstdc++ it loads with.
const binary = fs.readFileSync(built, 'latin1');
const newest = (prefix) =>
  [...binary.matchAll(new RegExp(`${prefix}_(\\d+(?:\\.\\d+)+)`, 'g'))]
    .map((m) => m[1])
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .at(-1);
const glibc = newest('GLIBC');
const glibcxx = newest('GLIBCXX');

// 4. It loads, and has the CUDA kernels.
const probe = spawnSync(process.execPath, ['-p', `JSON.stringify(require(${JSON.stringify(built)}).buildInfo())`], { encoding: 'utf8' });
if (probe.status !== 0) fail(`${built} does not load: ${probe.stderr.trim()}`);
const info = JSON.parse(probe.stdout);
if (!info.cudaCompiled && process.env.HYPERSWEEP_PREBUILD_WITHOUT_CUDA !== '1') {
  fail('the addon was built without the CUDA kernels (nvcc not found): install the CUDA toolkit, or set HYPERSWEEP_PREBUILD_WITHOUT_CUDA=1 to pack a CPU-only prebuild');
}

const target = path.join(root, prebuildFile('linux', 'x64', 'glibc'));
fs.mkdirSync(path.dirname(target), { recursive: true });
fs.copyFileSync(built, target);
say(
  `${path.relative(root, target)}: ${(fs.statSync(target).size / 1e6).toFixed(1)} MB, build ${info.buildId}, ` +
    `CUDA kernels ${info.cudaCompiled ? 'in' : 'NOT in'}; shared libraries: ${needed.join(' ') || '(not checked)'}; ` +
    `needs glibc >= ${glibc ?? '?'} and libstdc++ GLIBCXX_${glibcxx ?? '?'}`,
);
