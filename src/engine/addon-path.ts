// Where the native addon is looked for, in order (node-gyp-build style, no
// dependency): the prebuilt binary shipped in the package for this platform,
// then the local build (cmake-js, build/Release). Plain Node only: the package's
// install script (scripts/install.mjs) imports the compiled copy of this file to
// decide whether it must compile.
import { statSync } from 'node:fs';
import { join } from 'node:path';

/** The N-API version the addon is built against (CMakeLists.txt: NAPI_VERSION). */
export const ADDON_NAPI_VERSION = 8;

/** The C library of this Linux (a glibc build does not load on musl); undefined elsewhere. */
export function linuxLibc(): 'glibc' | 'musl' | undefined {
  if (process.platform !== 'linux') return undefined;
  // The report's header names the glibc it runs on (what detect-libc reads first).
  const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
  return header?.glibcVersionRuntime ? 'glibc' : 'musl';
}

/**
 * The prebuilt addon's path relative to the package root, e.g.
 * prebuilds/linux-x64/hypersweep.napi8.glibc.node. The name carries what the
 * binary needs of the running node (its N-API version) and of the system (libc).
 */
export function prebuildFile(
  platform: string = process.platform,
  arch: string = process.arch,
  libc: string | null = platform === 'linux' ? (linuxLibc() ?? null) : null,
): string {
  const tags = ['hypersweep', `napi${ADDON_NAPI_VERSION}`, ...(libc ? [libc] : []), 'node'];
  return join('prebuilds', `${platform}-${arch}`, tags.join('.'));
}

/** The local build's path relative to the package root. */
export const LOCAL_BUILD_FILE = join('build', 'Release', 'hypersweep.node');

/**
 * The addon files present under the package root, in the order to try them:
 * the prebuild (when this node offers the N-API version it needs), then the
 * local build, except that a local build newer than the prebuild goes first.
 * In an installed package a local build exists only when the install script
 * compiled one (the prebuild did not load, or HYPERSWEEP_BUILD_FROM_SOURCE),
 * and npm dates packed files to 1985: the local build is then the one meant.
 * In a git checkout, a developer's rebuild after `npm pack` wins over the
 * prebuild the pack left (postpack removes it, unless the pack failed).
 */
export function addonCandidates(root: string): string[] {
  const napi = Number(process.versions.napi ?? 0);
  const local = join(root, LOCAL_BUILD_FILE);
  const prebuild = napi >= ADDON_NAPI_VERSION ? join(root, prebuildFile()) : undefined;
  const mtime = (file: string | undefined): number | undefined => {
    try {
      return file === undefined ? undefined : statSync(file).mtimeMs;
    } catch {
      return undefined; // absent
    }
  };
  const [prebuildTime, localTime] = [mtime(prebuild), mtime(local)];
  const order: [string | undefined, number | undefined][] =
    prebuildTime !== undefined && localTime !== undefined && localTime > prebuildTime
      ? [[local, localTime], [prebuild, prebuildTime]]
      : [[prebuild, prebuildTime], [local, localTime]];
  return order.filter(([, time]) => time !== undefined).map(([file]) => file as string);
}
