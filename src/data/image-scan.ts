// Finds the images of an image folder and their classes, without decoding
// anything. Two layouts are understood:
//   prefix:     cat.123.jpg, dog.45.jpg, ... in one folder (Kaggle "Dogs vs.
//               Cats"); the class is the file name up to its first dot.
//   subfolders: <folder>/<class>/**/*.jpg (Keras image_dataset_from_directory,
//               torchvision ImageFolder, Microsoft's PetImages).
// Classes are sorted by name (code-point order, so the same on every locale)
// and numbered from 0; files are sorted the same way inside each class. Every
// file that is not used is reported with a reason, never dropped silently.
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { Errors } from '../errors.js';

export type ImageFolderLayout = 'prefix' | 'subfolders';

/** Labels are stored in a Uint8Array. */
export const MAX_IMAGE_CLASSES = 256;

export interface ScannedImage {
  /** Path relative to the folder, '/'-separated. */
  file: string;
  label: number;
  size: number;
  mtimeMs: number;
}

export interface SkippedFile {
  file: string;
  reason: string;
}

export interface ImageFolderScan {
  /** The folder, resolved to an absolute path. */
  dir: string;
  layout: ImageFolderLayout;
  classes: string[];
  /** Sorted by (label, file). */
  images: ScannedImage[];
  skipped: SkippedFile[];
}

const IMAGE_EXTENSION = /\.(jpe?g|png)$/i;
/** <class>.<anything>.<ext>: the class is what comes before the first dot. */
const PREFIX_NAME = /^([^.]+)\..+\.(jpe?g|png)$/i;
const NOT_IMAGE = 'not a .jpg, .jpeg or .png file';

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Hidden entries (.DS_Store, .git, our own .cache) are never data. */
function hidden(name: string): boolean {
  return name.startsWith('.');
}

interface Entry {
  rel: string;
  abs: string;
  kind: 'file' | 'dir' | 'other';
  size: number;
  mtimeMs: number;
}

async function list(dir: string, relDir: string): Promise<Entry[]> {
  const names = (await readdir(join(dir, relDir))).filter((n) => !hidden(n)).sort(byCodePoint);
  return Promise.all(
    names.map(async (name): Promise<Entry> => {
      const rel = relDir === '' ? name : `${relDir}/${name}`;
      const abs = join(dir, rel);
      try {
        // stat, not lstat: a symlinked image or class folder counts as what it points to.
        const st = await stat(abs);
        const kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
        return { rel, abs, kind, size: st.size, mtimeMs: st.mtimeMs };
      } catch {
        return { rel, abs, kind: 'other', size: 0, mtimeMs: 0 };
      }
    }),
  );
}

/** Every image file below relDir, sorted; non-image files go to `skipped`. */
async function walkImages(dir: string, relDir: string, skipped: SkippedFile[]): Promise<Entry[]> {
  const out: Entry[] = [];
  let entries: Entry[];
  try {
    entries = await list(dir, relDir);
  } catch (error) {
    skipped.push({ file: `${relDir}/`, reason: `folder cannot be listed (${(error as NodeJS.ErrnoException).code ?? error})` });
    return out;
  }
  for (const entry of entries) {
    if (entry.kind === 'dir') out.push(...(await walkImages(dir, entry.rel, skipped)));
    else if (entry.kind === 'file' && IMAGE_EXTENSION.test(entry.rel)) out.push(entry);
    else if (entry.kind === 'file') skipped.push({ file: entry.rel, reason: NOT_IMAGE });
    else skipped.push({ file: entry.rel, reason: 'cannot be read (broken link or not a regular file)' });
  }
  return out;
}

function examples(names: readonly string[]): string {
  const shown = names.slice(0, 3).join(', ');
  return names.length > 3 ? `${shown}, ... (${names.length} in all)` : shown;
}

export async function scanImageFolder(folder: string): Promise<ImageFolderScan> {
  const dir = resolve(folder);
  let st;
  try {
    st = await stat(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw Errors.imageFolderMissing(dir, code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? error})`);
  }
  if (!st.isDirectory()) throw Errors.imageFolderMissing(dir, 'is not a folder');

  let top: Entry[];
  try {
    top = await list(dir, '');
  } catch (error) {
    throw Errors.imageFolderMissing(dir, `cannot be listed (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  const skipped: SkippedFile[] = [];
  const topImages = top.filter((e) => e.kind === 'file' && IMAGE_EXTENSION.test(e.rel));
  const classDirs: { name: string; images: Entry[] }[] = [];
  for (const entry of top) {
    if (entry.kind === 'dir') {
      const images = await walkImages(dir, entry.rel, skipped);
      if (images.length > 0) classDirs.push({ name: entry.rel, images });
      else skipped.push({ file: `${entry.rel}/`, reason: 'folder holds no .jpg, .jpeg or .png image; not used as a class' });
    } else if (entry.kind === 'file' && !IMAGE_EXTENSION.test(entry.rel)) {
      skipped.push({ file: entry.rel, reason: NOT_IMAGE });
    } else if (entry.kind === 'other') {
      skipped.push({ file: entry.rel, reason: 'cannot be read (broken link or not a regular file)' });
    }
  }

  let layout: ImageFolderLayout;
  let groups: Map<string, Entry[]>;
  if (classDirs.length > 0 && topImages.length > 0) {
    throw Errors.imageFolderLayout(
      dir,
      `it has images at its top level (${examples(topImages.map((e) => e.rel))}) and class subfolders (${examples(
        classDirs.map((c) => c.name),
      )})`,
    );
  } else if (classDirs.length > 0) {
    layout = 'subfolders';
    groups = new Map(classDirs.map((c) => [c.name, c.images]));
  } else if (topImages.length > 0) {
    layout = 'prefix';
    groups = new Map();
    const unprefixed: string[] = [];
    for (const entry of topImages) {
      const match = PREFIX_NAME.exec(entry.rel);
      if (!match) {
        unprefixed.push(entry.rel);
        continue;
      }
      const name = match[1]!;
      const group = groups.get(name);
      if (group) group.push(entry);
      else groups.set(name, [entry]);
    }
    if (groups.size === 0) {
      throw Errors.imageFolderLayout(
        dir,
        `its images have no class in their names (${examples(unprefixed)}); unlabelled images (like Kaggle's test1) cannot be trained on`,
      );
    }
    for (const file of unprefixed) {
      skipped.push({ file, reason: 'no class prefix in the name (expected <class>.<id>.jpg, e.g. cat.1.jpg)' });
    }
  } else {
    const others = skipped.map((s) => s.file);
    throw Errors.imageFolderEmpty(
      dir,
      others.length === 0 ? 'it is empty' : `no .jpg, .jpeg or .png file in it or its subfolders (found ${examples(others)})`,
    );
  }

  const classes = [...groups.keys()].sort(byCodePoint);
  if (classes.length === 1) throw Errors.imageFolderOneClass(dir, classes[0]!, layout);
  if (classes.length > MAX_IMAGE_CLASSES) {
    throw Errors.imageFolderLayout(dir, `it has ${classes.length} classes, more than the ${MAX_IMAGE_CLASSES} supported`);
  }
  const images: ScannedImage[] = [];
  classes.forEach((name, label) => {
    const entries = groups.get(name)!.slice().sort((a, b) => byCodePoint(a.rel, b.rel));
    for (const e of entries) images.push({ file: e.rel, label, size: e.size, mtimeMs: e.mtimeMs });
  });
  skipped.sort((a, b) => byCodePoint(a.file, b.file));
  return { dir, layout, classes, images, skipped };
}
