// The install script's choice (scripts/install.mjs) and the loader's fallback
// (src/engine/native.ts), in a scratch package root: compiled dist/, the
// script, a prebuild that loads (a copy of build/Release) or one that does not
// (garbage), and a stand-in cmake-js that records that it was asked to compile.
// The real install from a packed tarball is test/package-install.test.ts.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { ensureBuilt, ROOT } from './helpers/cli.js';

const BUILT = path.join(ROOT, 'build', 'Release', 'hypersweep.node');
const PREBUILD = path.join('prebuilds', 'linux-x64', 'hypersweep.napi8.glibc.node');
const onLinuxX64 = process.platform === 'linux' && process.arch === 'x64';

let pkg = '';
beforeAll(() => ensureBuilt());
beforeEach(() => {
  pkg = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-install-'));
  fs.cpSync(path.join(ROOT, 'dist'), path.join(pkg, 'dist'), { recursive: true });
  fs.mkdirSync(path.join(pkg, 'scripts'));
  fs.copyFileSync(path.join(ROOT, 'scripts', 'install.mjs'), path.join(pkg, 'scripts', 'install.mjs'));
  // A cmake-js that only says it ran (and where its marker is).
  const fake = path.join(pkg, 'node_modules', 'cmake-js', 'bin');
  fs.mkdirSync(fake, { recursive: true });
  fs.writeFileSync(path.join(pkg, 'node_modules', 'cmake-js', 'package.json'), '{"name":"cmake-js","version":"0.0.0"}');
  fs.writeFileSync(
    path.join(fake, 'cmake-js'),
    "require('fs').writeFileSync(require('path').join(process.cwd(), 'compiled.txt'), process.argv.slice(2).join(' '));\n",
  );
});
afterEach(() => fs.rmSync(pkg, { recursive: true, force: true }));

function install(env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [path.join(pkg, 'scripts', 'install.mjs')], {
    cwd: pkg,
    env: { ...process.env, HYPERSWEEP_BUILD_FROM_SOURCE: '', ...env },
    encoding: 'utf8',
  });
  const marker = path.join(pkg, 'compiled.txt');
  return { ...r, compiled: fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8') : null };
}

function place(file: string, content: Buffer | string): void {
  fs.mkdirSync(path.dirname(path.join(pkg, file)), { recursive: true });
  fs.writeFileSync(path.join(pkg, file), content);
}

describe.skipIf(!onLinuxX64 || !fs.existsSync(BUILT))('scripts/install.mjs', () => {
  it('takes a prebuild that loads, and compiles nothing', () => {
    place(PREBUILD, fs.readFileSync(BUILT));
    const r = install();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/using the prebuilt addon prebuilds\/linux-x64\/hypersweep\.napi8\.glibc\.node/);
    expect(r.compiled).toBeNull();
  });

  it('compiles with cmake-js when there is no prebuild', () => {
    const r = install();
    expect(r.status, r.stderr).toBe(0);
    expect(r.compiled).toBe('compile --parallel 2');
  });

  it('compiles when the prebuild does not load here, saying why', () => {
    place(PREBUILD, 'not an ELF file');
    const r = install();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/the prebuilt addon prebuilds\/linux-x64\/hypersweep\.napi8\.glibc\.node does not load here \(.*\): compiling it/);
    expect(r.compiled).toBe('compile --parallel 2');
  });

  it('HYPERSWEEP_BUILD_FROM_SOURCE=1 compiles even beside a prebuild that loads', () => {
    place(PREBUILD, fs.readFileSync(BUILT));
    const r = install({ HYPERSWEEP_BUILD_FROM_SOURCE: '1' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.compiled).toBe('compile --parallel 2');
  });
});

describe.skipIf(!onLinuxX64 || !fs.existsSync(BUILT))('the loader (native.ts) in a package', () => {
  function loaded(): { status: number | null; stdout: string; stderr: string } {
    const script =
      `const n = await import(${JSON.stringify(path.join(pkg, 'dist', 'engine', 'native.js'))});` +
      'const info = n.buildInfo(); console.log(JSON.stringify({ path: n.ADDON_PATH, buildId: info.buildId }));';
    return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  }

  it('loads the prebuild, and names it in ADDON_PATH', () => {
    place(PREBUILD, fs.readFileSync(BUILT));
    const r = loaded();
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).path).toBe(path.join(pkg, PREBUILD));
  });

  it('falls back to build/Release when the prebuild does not load', () => {
    place(PREBUILD, 'not an ELF file');
    place(path.join('build', 'Release', 'hypersweep.node'), fs.readFileSync(BUILT));
    const r = loaded();
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).path).toBe(path.join(pkg, 'build', 'Release', 'hypersweep.node'));
  });

  it('neither: E_ADDON_MISSING says what failed for each file', () => {
    place(PREBUILD, 'not an ELF file');
    const r = loaded();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/cannot load the native addon \S+build\/Release\/hypersweep\.node: \S+hypersweep\.napi8\.glibc\.node: (file too short|invalid ELF header)/);
    expect(r.stderr).toMatch(/E_ADDON_MISSING/);
  });
});
