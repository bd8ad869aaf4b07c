// Builds small image folders for tests (no photos can be downloaded here):
// synthetic class-dependent patterns, or Fashion-MNIST images when the Debian
// package is installed, written as PNG or JPEG with sharp in either layout,
// plus the broken files a real folder holds (random bytes, truncated PNG,
// blank image).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import sharp from 'sharp';

import { fashionMnistDir } from '../../src/data/fashion-mnist.js';
import { readIdx } from '../../src/data/idx.js';

export type ImageFormat = 'png' | 'jpg';

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `hs-${prefix}-`));
}

/** A small deterministic generator (tests only; independent of the code under test). */
function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  };
}

/**
 * A w×h×c image whose pattern depends on the class (stripes in a direction
 * and colour set by the label) and whose noise depends on the index; never blank.
 */
export function syntheticImage(label: number, index: number, w: number, h: number, c: number): Uint8Array {
  const next = lcg(label * 7919 + index * 104729 + 1);
  const px = new Uint8Array(w * h * c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const stripe = label % 2 === 0 ? (y >> 1) % 2 : (x >> 1) % 2;
      for (let k = 0; k < c; k++) {
        const base = stripe ? 200 - 40 * ((label + k) % 3) : 40 + 20 * k;
        px[(y * w + x) * c + k] = Math.max(0, Math.min(255, base + (next() % 21) - 10));
      }
    }
  }
  return px;
}

/** Encodes raw pixels (1 or 3 channels) as PNG or JPEG; a 1-channel PNG is a true greyscale PNG. */
export async function encodeImage(px: Uint8Array, w: number, h: number, c: 1 | 3, format: ImageFormat): Promise<Buffer> {
  let img = sharp(px, { raw: { width: w, height: h, channels: c } });
  if (c === 1) img = img.toColourspace('b-w');
  return format === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 90 }).toBuffer();
}

export async function writeImage(
  file: string,
  px: Uint8Array,
  w: number,
  h: number,
  c: 1 | 3,
  format: ImageFormat,
): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, await encodeImage(px, w, h, c, format));
}

export interface BuiltImage {
  /** Path relative to the folder. */
  file: string;
  /** Index of the class in the sorted class list. */
  label: number;
  className: string;
}

export interface FolderSpec {
  layout: 'prefix' | 'subfolders';
  /** Class names, in any order (labels follow their sorted order). */
  classes: readonly string[];
  /** Images per class (a number for all, or one per class in the order of `classes`). */
  perClass: number | readonly number[];
  width: number;
  height: number;
  /** Alternate PNG and JPEG when 'mixed'. */
  format: ImageFormat | 'mixed';
}

/** Where image `index` of class `className` goes in a layout. */
export function imagePath(layout: FolderSpec['layout'], className: string, index: number, ext: string): string {
  return layout === 'prefix' ? `${className}.${index}.${ext}` : `${className}/${className}_${index}.${ext}`;
}

/** Writes the folder's good images; returns them (file names relative to dir). */
export async function buildImageFolder(dir: string, spec: FolderSpec): Promise<BuiltImage[]> {
  const sorted = [...spec.classes].sort();
  const built: BuiltImage[] = [];
  for (const [ci, className] of spec.classes.entries()) {
    const label = sorted.indexOf(className);
    const n = typeof spec.perClass === 'number' ? spec.perClass : spec.perClass[ci]!;
    for (let i = 0; i < n; i++) {
      const format: ImageFormat = spec.format === 'mixed' ? (i % 2 === 0 ? 'png' : 'jpg') : spec.format;
      const file = imagePath(spec.layout, className, i, format);
      const px = syntheticImage(label, i, spec.width, spec.height, 3);
      await writeImage(join(dir, file), px, spec.width, spec.height, 3, format);
      built.push({ file, label, className });
    }
  }
  return built;
}

/** Random bytes under an image name (a file that is not an image at all). */
export async function writeCorrupt(file: string, bytes = 2000): Promise<void> {
  const next = lcg(bytes);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, Uint8Array.from({ length: bytes }, () => next()));
}

/** A valid PNG cut in half. */
export async function writeTruncatedPng(file: string, w: number, h: number): Promise<void> {
  const png = await encodeImage(syntheticImage(0, 99, w, h, 3), w, h, 3, 'png');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, png.subarray(0, Math.floor(png.length / 2)));
}

/** An image of one colour. */
export async function writeBlank(file: string, w: number, h: number, format: ImageFormat): Promise<void> {
  const px = new Uint8Array(w * h * 3);
  for (let i = 0; i < px.length; i += 3) px.set([120, 80, 200], i);
  await writeImage(file, px, w, h, 3, format);
}

/** Whether Fashion-MNIST's IDX files are installed (Debian package dataset-fashion-mnist). */
export function hasFashionMnist(): boolean {
  return existsSync(join(fashionMnistDir(), 't10k-images-idx3-ubyte.gz'));
}

/** The first `perClass` test images of each of the given Fashion-MNIST classes (28×28, 1 byte per pixel). */
export async function fashionMnistSamples(
  classes: readonly number[],
  perClass: number,
): Promise<{ label: number; pixels: Uint8Array }[]> {
  const dir = fashionMnistDir();
  const images = await readIdx(join(dir, 't10k-images-idx3-ubyte.gz'), { kind: 'images', imageShape: [28, 28] });
  const labels = await readIdx(join(dir, 't10k-labels-idx1-ubyte.gz'), { kind: 'labels' });
  const out: { label: number; pixels: Uint8Array }[] = [];
  const taken = new Map<number, number>();
  for (let i = 0; i < labels.data.length; i++) {
    const label = labels.data[i]!;
    if (!classes.includes(label) || (taken.get(label) ?? 0) >= perClass) continue;
    taken.set(label, (taken.get(label) ?? 0) + 1);
    out.push({ label, pixels: images.data.slice(i * 784, (i + 1) * 784) });
  }
  return out;
}
