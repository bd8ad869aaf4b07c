// The IDX reader on good and corrupt files: every defect is a HypersweepError
// that names the file, never a short dataset.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { afterAll, describe, expect, it } from 'vitest';

import { encodeIdx, readIdx, type IdxExpectation } from '../src/data/idx.js';
import { HypersweepError } from '../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'hs-idx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const images: IdxExpectation = { kind: 'images', imageShape: [2, 3] };
const labels: IdxExpectation = { kind: 'labels' };

function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

// Four 2x3 images with pixel values 0..23, and four labels.
const pixels = Uint8Array.from({ length: 24 }, (_, i) => i);
const goodImages = encodeIdx('images', [4, 2, 3], pixels);
const goodLabels = encodeIdx('labels', [4], Uint8Array.from([3, 1, 4, 1]));

async function expectIdxError(path: string, expect_: IdxExpectation, code: string, text: RegExp): Promise<void> {
  const error = await readIdx(path, expect_).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HypersweepError);
  const e = error as HypersweepError;
  expect(e.code).toBe(code);
  expect(e.message).toContain(path);
  expect(e.message).toMatch(text);
  expect(e.oneLine()).not.toContain('\n');
}

describe('readIdx', () => {
  it('reads images and labels with their dimensions', async () => {
    const im = await readIdx(file('ok-images', goodImages), images);
    expect(im.dims).toEqual([4, 2, 3]);
    expect(Array.from(im.data)).toEqual(Array.from(pixels));
    const lb = await readIdx(file('ok-labels', goodLabels), labels);
    expect(lb.dims).toEqual([4]);
    expect(Array.from(lb.data)).toEqual([3, 1, 4, 1]);
  });

  it('inflates gzip files', async () => {
    const im = await readIdx(file('ok-images.gz', gzipSync(goodImages)), images);
    expect(Array.from(im.data)).toEqual(Array.from(pixels));
  });

  it('rejects a wrong magic number (labels read as images)', async () => {
    await expectIdxError(file('swapped', goodLabels), images, 'E_IDX_MAGIC', /0x00000801, expected 0x00000803/);
  });

  it('rejects a file that is not IDX at all', async () => {
    await expectIdxError(file('text', new TextEncoder().encode('hello world, not idx')), labels, 'E_IDX_MAGIC', /magic/);
  });

  it('rejects a truncated file', async () => {
    const path = file('truncated', goodImages.subarray(0, goodImages.length - 5));
    await expectIdxError(path, images, 'E_IDX_SIZE', /holds 35 bytes.*announces 40 \(truncated\)/);
  });

  it('rejects a file cut inside its header', async () => {
    await expectIdxError(file('short-header', goodImages.subarray(0, 9)), images, 'E_IDX_SIZE', /truncated/);
    await expectIdxError(file('tiny', goodImages.subarray(0, 2)), images, 'E_IDX_SIZE', /truncated/);
  });

  it('rejects trailing bytes', async () => {
    const bytes = new Uint8Array(goodLabels.length + 3);
    bytes.set(goodLabels);
    await expectIdxError(file('trailing', bytes), labels, 'E_IDX_SIZE', /trailing bytes/);
  });

  it('rejects images of the wrong shape', async () => {
    const path = file('wrong-dims', encodeIdx('images', [4, 3, 2], pixels));
    await expectIdxError(path, images, 'E_IDX_DIMS', /\[4, 3, 2\], expected \[n, 2, 3\]/);
  });

  it('rejects an empty dataset', async () => {
    await expectIdxError(file('empty', encodeIdx('labels', [0], new Uint8Array())), labels, 'E_IDX_DIMS', /at least one/);
  });

  it('rejects a truncated gzip file', async () => {
    const gz = gzipSync(goodImages);
    const path = file('cut.gz', gz.subarray(0, gz.length - 10));
    await expectIdxError(path, images, 'E_IDX_GZIP', /not valid gzip/);
  });

  it('names a missing file', async () => {
    await expectIdxError(join(dir, 'does-not-exist'), images, 'E_IDX_UNREADABLE', /ENOENT/);
  });
});
