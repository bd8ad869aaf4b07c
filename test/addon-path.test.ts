// Which addon file is tried first (src/engine/addon-path.ts): the prebuilt
// binary shipped in the package, then the local build, except that a local
// build newer than the prebuild wins (a developer's rebuild after a pack; in an
// installed package npm dates packed files to 1985, so a local build exists
// only when the install compiled one, and it is the one meant).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { addonCandidates, LOCAL_BUILD_FILE, linuxLibc, prebuildFile } from '../src/engine/addon-path.js';

let root = '';
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-addon-path-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function touch(file: string, date: Date): string {
  const full = path.join(root, file);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, '');
  fs.utimesSync(full, date, date);
  return full;
}

describe('addon-path', () => {
  it('names the prebuild by platform, architecture, N-API version and libc', () => {
    expect(prebuildFile('linux', 'x64', 'glibc')).toBe(path.join('prebuilds', 'linux-x64', 'hypersweep.napi8.glibc.node'));
    expect(prebuildFile('linux', 'arm64', 'musl')).toBe(path.join('prebuilds', 'linux-arm64', 'hypersweep.napi8.musl.node'));
    expect(prebuildFile('darwin', 'arm64', null)).toBe(path.join('prebuilds', 'darwin-arm64', 'hypersweep.napi8.node'));
  });

  it('knows the C library of this Linux (glibc here: the report names its version)', () => {
    if (process.platform !== 'linux') {
      expect(linuxLibc()).toBeUndefined();
      return;
    }
    const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
    expect(linuxLibc()).toBe(glibc ? 'glibc' : 'musl');
  });

  it('lists only the files present', () => {
    expect(addonCandidates(root)).toEqual([]);
    const local = touch(LOCAL_BUILD_FILE, new Date());
    expect(addonCandidates(root)).toEqual([local]);
  });

  it('the prebuild first, as packed (dated 1985) beside a local build', () => {
    const prebuild = touch(prebuildFile(), new Date('1985-10-26T08:15:00Z'));
    expect(addonCandidates(root)).toEqual([prebuild]);
    const local = touch(LOCAL_BUILD_FILE, new Date('1985-10-26T08:15:00Z'));
    expect(addonCandidates(root)).toEqual([prebuild, local]);
  });

  it('a local build newer than the prebuild goes first', () => {
    const prebuild = touch(prebuildFile(), new Date('2026-01-01T00:00:00Z'));
    const local = touch(LOCAL_BUILD_FILE, new Date('2026-01-02T00:00:00Z'));
    expect(addonCandidates(root)).toEqual([local, prebuild]);
    fs.utimesSync(local, new Date('2025-12-31T00:00:00Z'), new Date('2025-12-31T00:00:00Z'));
    expect(addonCandidates(root)).toEqual([prebuild, local]);
  });
});
