// loadImageFolder: both layouts, decoding (exact for PNG at the same size),
// resizing, broken and blank files, the stratified split, the on-disk cache and
// the errors a user can meet.
import { readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { isHypersweepError } from '../src/errors.js';
import { loadImageFolder, type ImageFolderDataset, type ImageFolderOptions } from '../src/data/image-folder.js';
import { validationCount } from '../src/data/stratified-split.js';
import {
  buildImageFolder,
  fashionMnistSamples,
  hasFashionMnist,
  syntheticImage,
  tempDir,
  writeBlank,
  writeCorrupt,
  writeImage,
  writeTruncatedPng,
  type BuiltImage,
} from './helpers/image-folders.js';

const BASE: ImageFolderOptions = { width: 16, height: 12, channels: 3, valFraction: 0.25, seed: 7 };

let root: string;
beforeAll(async () => {
  root = await tempDir('image-folder');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function expectCode(promise: Promise<unknown>, code: string, ...inMessage: string[]): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isHypersweepError(error), `expected ${code}, got ${String(error)}`).toBe(true);
  if (!isHypersweepError(error)) return;
  expect(error.code).toBe(code);
  for (const text of inMessage) expect(error.oneLine()).toContain(text);
  // Our own errors say how to fix them (invalidOption's message already says what is expected).
  if (code.startsWith('E_IMAGE_')) expect(error.hint).toBeTruthy();
}

/** Every image of train ∪ val, with its label, by file. */
function labelsByFile(ds: ImageFolderDataset): Map<string, number> {
  const map = new Map<string, number>();
  for (const set of [ds.train, ds.val]) set.files.forEach((f, i) => map.set(f, set.labels[i]!));
  return map;
}

describe('Kaggle layout (class = name prefix)', () => {
  let dir: string;
  let built: BuiltImage[];
  beforeAll(async () => {
    dir = join(root, 'kaggle');
    built = await buildImageFolder(dir, {
      layout: 'prefix',
      classes: ['dog', 'cat'],
      perClass: [10, 14],
      width: 40,
      height: 30,
      format: 'mixed',
    });
    await writeCorrupt(join(dir, 'cat.999.jpg'));
    await writeTruncatedPng(join(dir, 'dog.998.png'), 40, 30);
    await writeBlank(join(dir, 'cat.997.png'), 40, 30, 'png');
    await writeBlank(join(dir, 'dog.996.jpg'), 40, 30, 'jpg');
    await writeFile(join(dir, 'notes.txt'), 'not an image');
    await writeFile(join(dir, '.DS_Store'), 'hidden');
  });

  it('finds cat=0, dog=1, decodes every good image, reports broken ones by name and counts blank ones', async () => {
    const ds = await loadImageFolder(dir, BASE);
    expect(ds.layout).toBe('prefix');
    expect(ds.classes).toEqual(['cat', 'dog']);
    expect(ds.train.count + ds.val.count).toBe(built.length);
    expect(ds.blankDropped).toBe(2);
    const skipped = new Map(ds.skipped.map((s) => [s.file, s.reason]));
    expect([...skipped.keys()].sort()).toEqual(['cat.999.jpg', 'dog.998.png', 'notes.txt']);
    expect(skipped.get('cat.999.jpg')).toMatch(/cannot decode/);
    expect(skipped.get('dog.998.png')).toMatch(/cannot decode/);
    expect(skipped.get('notes.txt')).toMatch(/not a \.jpg/);
    // Labels agree with the names the helper wrote, file by file.
    const byFile = labelsByFile(ds);
    expect(byFile.size).toBe(built.length);
    for (const b of built) expect(byFile.get(b.file), b.file).toBe(b.className === 'cat' ? 0 : 1);
    for (const set of [ds.train, ds.val]) {
      expect(set.images.length).toBe(set.count * 12 * 16 * 3);
      expect(set.labels.length).toBe(set.count);
      expect(set.images.buffer).toBeInstanceOf(SharedArrayBuffer);
    }
  });

  it('resizes by stretching, rows as rows and columns as columns', async () => {
    // Left half red, right half blue, top quarter green: a transposed or
    // mirrored decode would put the colours elsewhere.
    const w = 60;
    const h = 30;
    const px = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const colour = y < h / 4 ? [0, 255, 0] : x < w / 2 ? [255, 0, 0] : [0, 0, 255];
        px.set(colour, (y * w + x) * 3);
      }
    }
    const one = join(root, 'orientation');
    await writeImage(join(one, 'a', 'img.png'), px, w, h, 3, 'png');
    await writeImage(join(one, 'b', 'img.png'), syntheticImage(1, 0, 8, 8, 3), 8, 8, 3, 'png');
    const ds = await loadImageFolder(one, { ...BASE, width: 20, height: 12, valFraction: 0 });
    const at = (y: number, x: number): number[] => Array.from(ds.train.images.subarray((y * 20 + x) * 3, (y * 20 + x) * 3 + 3));
    const near = (got: number[], want: number[]) => got.forEach((v, k) => expect(Math.abs(v - want[k]!)).toBeLessThan(30));
    near(at(0, 10), [0, 255, 0]);
    near(at(8, 2), [255, 0, 0]);
    near(at(8, 17), [0, 0, 255]);
  });

  it('loads one channel when asked', async () => {
    const ds = await loadImageFolder(dir, { ...BASE, channels: 1 });
    expect(ds.channels).toBe(1);
    expect(ds.train.images.length).toBe(ds.train.count * 12 * 16);
    expect(ds.train.count + ds.val.count).toBe(built.length);
  });

  it('limit keeps the first N files of each class in sorted order', async () => {
    const ds = await loadImageFolder(dir, { ...BASE, limit: 3, valFraction: 0 });
    // Sorted by code point: cat.0, cat.1, cat.10 ("." sorts before "0") / dog.0, dog.1, dog.2 (dog has 0..9).
    expect(ds.train.files).toEqual(['cat.0.png', 'cat.1.jpg', 'cat.10.png', 'dog.0.png', 'dog.1.jpg', 'dog.2.png']);
    expect(Array.from(ds.train.labels)).toEqual([0, 0, 0, 1, 1, 1]);
  });
});

describe('one subfolder per class', () => {
  let dir: string;
  let built: BuiltImage[];
  const counts = { bird: 9, ant: 12, cow: 20 };
  beforeAll(async () => {
    dir = join(root, 'subfolders');
    built = await buildImageFolder(dir, {
      layout: 'subfolders',
      classes: Object.keys(counts),
      perClass: Object.values(counts),
      width: 12,
      height: 20,
      format: 'mixed',
    });
    // A nested folder counts for its class; a corrupt x.jpg is skipped by name; an empty class folder is reported.
    await writeImage(join(dir, 'cow', 'more', 'deep.png'), syntheticImage(2, 50, 12, 20, 3), 12, 20, 3, 'png');
    built.push({ file: 'cow/more/deep.png', label: 2, className: 'cow' });
    await writeCorrupt(join(dir, 'ant', 'x.jpg'));
    await writeBlank(join(dir, 'bird', 'blank.png'), 12, 20, 'png');
    await writeFile(join(dir, 'README.md'), '# data');
    await (await import('node:fs/promises')).mkdir(join(dir, 'empty'));
  });

  it('labels classes by sorted folder name and reports what it skipped', async () => {
    const ds = await loadImageFolder(dir, BASE);
    expect(ds.layout).toBe('subfolders');
    expect(ds.classes).toEqual(['ant', 'bird', 'cow']);
    expect(ds.blankDropped).toBe(1);
    expect(ds.skipped.map((s) => s.file)).toEqual(['README.md', 'ant/x.jpg', 'empty/']);
    const byFile = labelsByFile(ds);
    expect(byFile.size).toBe(built.length);
    for (const b of built) expect(byFile.get(b.file), b.file).toBe(ds.classes.indexOf(b.className));
  });

  it('splits every class in the same proportion, disjointly, deterministically from the seed', async () => {
    const a = await loadImageFolder(dir, { ...BASE, valFraction: 0.3, seed: 11 });
    const again = await loadImageFolder(dir, { ...BASE, valFraction: 0.3, seed: 11 });
    const other = await loadImageFolder(dir, { ...BASE, valFraction: 0.3, seed: 12 });
    const sizes = [counts.ant, counts.bird, counts.cow + 1];
    for (let label = 0; label < 3; label++) {
      const val = Array.from(a.val.labels).filter((l) => l === label).length;
      const train = Array.from(a.train.labels).filter((l) => l === label).length;
      expect(val).toBe(validationCount(sizes[label]!, 0.3));
      expect(val).toBe(Math.round(sizes[label]! * 0.3));
      expect(train + val).toBe(sizes[label]);
    }
    const trainFiles = new Set(a.train.files);
    expect(a.val.files.some((f) => trainFiles.has(f))).toBe(false);
    expect(again.val.files).toEqual(a.val.files);
    expect(Buffer.from(again.train.images).equals(Buffer.from(a.train.images))).toBe(true);
    expect(other.val.files).not.toEqual(a.val.files);
    // Each set's pixels are the pixels of its files: find one val image in a fresh unsplit load.
    const all = await loadImageFolder(dir, { ...BASE, valFraction: 0 });
    const frame = 12 * 16 * 3;
    const j = all.train.files.indexOf(a.val.files[0]!);
    expect(Buffer.from(a.val.images.subarray(0, frame)).equals(Buffer.from(all.train.images.subarray(j * frame, (j + 1) * frame)))).toBe(true);
  });
});

describe('decoding', () => {
  it('gives back a PNG’s exact pixels at its own size (RGB and greyscale)', async () => {
    const dir = join(root, 'exact');
    const sources = new Map<string, Uint8Array>();
    for (const [label, name] of ['a', 'b'].entries()) {
      for (let i = 0; i < 3; i++) {
        const px = syntheticImage(label, i, 10, 7, 3);
        sources.set(`${name}/${i}.png`, px);
        await writeImage(join(dir, name, `${i}.png`), px, 10, 7, 3, 'png');
      }
    }
    const ds = await loadImageFolder(dir, { ...BASE, width: 10, height: 7, valFraction: 0 });
    const frame = 10 * 7 * 3;
    ds.train.files.forEach((f, i) => {
      expect(Buffer.from(ds.train.images.subarray(i * frame, (i + 1) * frame)).equals(Buffer.from(sources.get(f)!)), f).toBe(true);
    });
  });

  it.skipIf(!hasFashionMnist())('reads Fashion-MNIST images written as greyscale PNG back byte for byte', async () => {
    const dir = join(root, 'fashion');
    const samples = await fashionMnistSamples([0, 7], 4); // T-shirt/top, Sneaker
    const names = new Map([
      [0, 'tshirt'],
      [7, 'sneaker'],
    ]);
    const sources = new Map<string, Uint8Array>();
    for (const [i, s] of samples.entries()) {
      const file = `${names.get(s.label)}.${i}.png`;
      sources.set(file, s.pixels);
      await writeImage(join(dir, file), s.pixels, 28, 28, 1, 'png');
    }
    const ds = await loadImageFolder(dir, { ...BASE, width: 28, height: 28, channels: 1, valFraction: 0 });
    expect(ds.classes).toEqual(['sneaker', 'tshirt']);
    expect(ds.train.count).toBe(samples.length);
    ds.train.files.forEach((f, i) => {
      expect(Buffer.from(ds.train.images.subarray(i * 784, (i + 1) * 784)).equals(Buffer.from(sources.get(f)!)), f).toBe(true);
      expect(ds.train.labels[i]).toBe(f.startsWith('sneaker') ? 0 : 1);
    });
  });
});

describe('cache of decoded images', () => {
  let dir: string;
  let cacheDir: string;
  beforeAll(async () => {
    dir = join(root, 'cached');
    cacheDir = join(root, 'results', '.cache', 'images');
    await buildImageFolder(dir, { layout: 'prefix', classes: ['cat', 'dog'], perClass: 6, width: 20, height: 20, format: 'jpg' });
    await writeCorrupt(join(dir, 'dog.50.jpg'));
    await writeBlank(join(dir, 'cat.51.png'), 20, 20, 'png');
  });

  const same = (a: ImageFolderDataset, b: ImageFolderDataset): void => {
    for (const k of ['train', 'val'] as const) {
      expect(Buffer.from(b[k].images).equals(Buffer.from(a[k].images))).toBe(true);
      expect(Array.from(b[k].labels)).toEqual(Array.from(a[k].labels));
      expect(b[k].files).toEqual(a[k].files);
    }
    expect(b.skipped).toEqual(a.skipped);
    expect(b.blankDropped).toBe(a.blankDropped);
    expect(b.classes).toEqual(a.classes);
  };

  it('is written on the first load and read, byte for byte, on the second (skips still reported)', async () => {
    const first = await loadImageFolder(dir, { ...BASE, cacheDir });
    expect(first.fromCache).toBe(false);
    expect(first.cache?.status).toBe('new');
    const second = await loadImageFolder(dir, { ...BASE, cacheDir });
    expect(second.fromCache).toBe(true);
    expect(second.cache).toEqual({ file: first.cache!.file, status: 'hit' });
    same(first, second);
    expect(second.skipped.map((s) => s.file)).toEqual(['dog.50.jpg']);
    expect(second.blankDropped).toBe(1);
    // No temporary file is left behind; a different target size is its own cache.
    expect((await readdir(cacheDir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const small = await loadImageFolder(dir, { ...BASE, width: 8, height: 8, cacheDir });
    expect(small.fromCache).toBe(false);
    expect(small.cache!.file).not.toBe(first.cache!.file);
  });

  it('is rebuilt when a file changes, and the new pixels are used', async () => {
    const before = await loadImageFolder(dir, { ...BASE, valFraction: 0, cacheDir });
    expect(before.fromCache).toBe(true);
    const file = join(dir, 'cat.0.jpg');
    await writeImage(file, syntheticImage(1, 77, 20, 20, 3), 20, 20, 3, 'jpg');
    const later = new Date(Date.now() + 5000);
    await utimes(file, later, later);
    const after = await loadImageFolder(dir, { ...BASE, valFraction: 0, cacheDir });
    expect(after.fromCache).toBe(false);
    expect(after.cache?.status).toBe('stale');
    const frame = 12 * 16 * 3;
    const i = after.train.files.indexOf('cat.0.jpg');
    expect(Buffer.from(after.train.images.subarray(i * frame, (i + 1) * frame)).equals(Buffer.from(before.train.images.subarray(i * frame, (i + 1) * frame)))).toBe(false);
    const uncached = await loadImageFolder(dir, { ...BASE, valFraction: 0 });
    same(uncached, after);
    expect((await loadImageFolder(dir, { ...BASE, valFraction: 0, cacheDir })).fromCache).toBe(true);
  });

  it('never trusts a damaged cache: flipped byte, truncation, garbage', async () => {
    const good = await loadImageFolder(dir, { ...BASE, cacheDir });
    const file = good.cache!.file;
    const bytes = await readFile(file);
    const damages: [string, Buffer][] = [
      ['flipped pixel byte', Buffer.concat([bytes.subarray(0, bytes.length - 10), Buffer.from([bytes[bytes.length - 10]! ^ 0xff]), bytes.subarray(bytes.length - 9)])],
      ['truncated', bytes.subarray(0, bytes.length - 100)],
      ['header only', bytes.subarray(0, 40)],
      ['garbage', Buffer.alloc(5000, 7)],
      ['empty', Buffer.alloc(0)],
    ];
    for (const [what, damaged] of damages) {
      await writeFile(file, damaged);
      const ds = await loadImageFolder(dir, { ...BASE, cacheDir });
      expect(ds.fromCache, what).toBe(false);
      expect(ds.cache?.status, what).toBe('corrupt');
      same(good, ds);
      expect((await stat(file)).size, what).toBe(bytes.length);
    }
  });

  it('removes temporary files a killed writer left, but only old ones', async () => {
    const ds = await loadImageFolder(dir, { ...BASE, cacheDir });
    const old = `${ds.cache!.file}.999999.deadbeef.tmp`;
    const fresh = `${ds.cache!.file}.999998.cafebabe.tmp`;
    await writeFile(old, 'half a cache');
    await writeFile(fresh, 'being written');
    const hourAgo = new Date(Date.now() - 2 * 3600 * 1000);
    await utimes(old, hourAgo, hourAgo);
    await writeFile(ds.cache!.file, 'broken'); // force a rewrite
    const rebuilt = await loadImageFolder(dir, { ...BASE, cacheDir });
    expect(rebuilt.cache?.status).toBe('corrupt');
    const names = await readdir(cacheDir);
    expect(names).not.toContain(old.split('/').pop());
    expect(names).toContain(fresh.split('/').pop());
  });

  it('a cache that cannot be written is an error naming it', async () => {
    const blocker = join(root, 'not-a-dir');
    await writeFile(blocker, 'a file where the cache folder should be');
    await expectCode(loadImageFolder(dir, { ...BASE, cacheDir: join(blocker, 'images') }), 'E_IMAGE_CACHE_WRITE', blocker);
  });
});

describe('errors name the folder and say how to fix it', () => {
  it('missing folder, or a file instead of a folder', async () => {
    const missing = join(root, 'no-such-folder');
    await expectCode(loadImageFolder(missing, BASE), 'E_IMAGE_FOLDER_MISSING', missing, 'does not exist');
    const file = join(root, 'plain-file');
    await writeFile(file, 'x');
    await expectCode(loadImageFolder(file, BASE), 'E_IMAGE_FOLDER_MISSING', file, 'not a folder');
  });

  it('no images', async () => {
    const empty = join(root, 'empty-folder');
    await (await import('node:fs/promises')).mkdir(empty);
    await expectCode(loadImageFolder(empty, BASE), 'E_IMAGE_FOLDER_EMPTY', empty, 'empty');
    const texts = join(root, 'texts');
    await (await import('node:fs/promises')).mkdir(join(texts, 'sub'), { recursive: true });
    await writeFile(join(texts, 'a.txt'), 'x');
    await writeFile(join(texts, 'sub', 'b.gif'), 'x');
    await expectCode(loadImageFolder(texts, BASE), 'E_IMAGE_FOLDER_EMPTY', texts, 'a.txt');
  });

  it('only one class, in either layout, or once the broken images are dropped', async () => {
    const cats = join(root, 'only-cats');
    await buildImageFolder(cats, { layout: 'prefix', classes: ['cat'], perClass: 3, width: 8, height: 8, format: 'png' });
    await expectCode(loadImageFolder(cats, BASE), 'E_IMAGE_FOLDER_ONE_CLASS', cats, '"cat"');
    const sub = join(root, 'only-sub');
    await buildImageFolder(sub, { layout: 'subfolders', classes: ['x'], perClass: 2, width: 8, height: 8, format: 'png' });
    await expectCode(loadImageFolder(sub, BASE), 'E_IMAGE_FOLDER_ONE_CLASS', sub, '"x"');
    const broken = join(root, 'broken-dogs');
    await buildImageFolder(broken, { layout: 'prefix', classes: ['cat'], perClass: 3, width: 8, height: 8, format: 'png' });
    await writeCorrupt(join(broken, 'dog.1.jpg'));
    await expectCode(loadImageFolder(broken, BASE), 'E_IMAGE_FOLDER_ONE_CLASS', broken, '"cat"');
    const allBad = join(root, 'all-bad');
    await writeCorrupt(join(allBad, 'cat.1.jpg'));
    await writeBlank(join(allBad, 'dog.1.png'), 8, 8, 'png');
    await expectCode(loadImageFolder(allBad, BASE), 'E_IMAGE_FOLDER_EMPTY', allBad, '1 unreadable or undecodable, 1 blank');
  });

  it('unknown layouts: unlabelled names, or images beside class folders', async () => {
    const test1 = join(root, 'test1');
    for (let i = 1; i <= 3; i++) await writeImage(join(test1, `${i}.jpg`), syntheticImage(0, i, 8, 8, 3), 8, 8, 3, 'jpg');
    await expectCode(loadImageFolder(test1, BASE), 'E_IMAGE_FOLDER_LAYOUT', test1, '1.jpg');
    const mixed = join(root, 'mixed');
    await buildImageFolder(mixed, { layout: 'subfolders', classes: ['a', 'b'], perClass: 2, width: 8, height: 8, format: 'png' });
    await writeImage(join(mixed, 'c.1.png'), syntheticImage(0, 1, 8, 8, 3), 8, 8, 3, 'png');
    await expectCode(loadImageFolder(mixed, BASE), 'E_IMAGE_FOLDER_LAYOUT', mixed, 'c.1.png');
  });

  it('bad options are usage errors', async () => {
    const dir = join(root, 'kaggle');
    await expectCode(loadImageFolder(dir, { ...BASE, width: 0 }), 'E_OPTION_VALUE', 'image width');
    await expectCode(loadImageFolder(dir, { ...BASE, channels: 2 as 1 }), 'E_OPTION_VALUE', 'image channels');
    await expectCode(loadImageFolder(dir, { ...BASE, valFraction: 1 }), 'E_OPTION_VALUE', 'validation fraction');
    await expectCode(loadImageFolder(dir, { ...BASE, seed: -1 }), 'E_OPTION_VALUE', 'seed');
    await expectCode(loadImageFolder(dir, { ...BASE, limit: 0 }), 'E_OPTION_VALUE', 'limit');
  });
});

it('decoding keeps going past broken files with sharp (sanity: the corrupt helpers really are undecodable)', async () => {
  const dir = join(root, 'sanity');
  await writeCorrupt(join(dir, 'x.jpg'));
  await writeTruncatedPng(join(dir, 'y.png'), 40, 30);
  for (const f of ['x.jpg', 'y.png']) {
    await expect(sharp(join(dir, f)).raw().toBuffer()).rejects.toThrow();
  }
});
