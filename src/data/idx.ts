// Reader for the IDX format of MNIST-like datasets
// (http://yann.lecun.com/exdb/mnist/): a big-endian header
//   [0, 0, type, ndim] [dim_0] ... [dim_{ndim-1}]   (each a uint32)
// followed by the prod(dims) items. We only read unsigned bytes (type 0x08),
// so the magic number is 0x00000801 for a vector of labels and 0x00000803
// for a stack of 2-D images. Everything is checked: a truncated or wrong file
// is an error naming the file, never a silently short dataset.
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';

import { Errors } from '../errors.js';

const gunzip = promisify(gunzipCallback);

export const IDX_MAGIC_LABELS = 0x00000801;
export const IDX_MAGIC_IMAGES = 0x00000803;

export interface IdxArray {
  file: string;
  /** dims[0] is the item count. */
  dims: number[];
  /** The items, row-major, one byte each (a view on the decoded file). */
  data: Uint8Array;
}

export interface IdxExpectation {
  /** 'labels': magic 0x801, dims [n]; 'images': magic 0x803, dims [n, rows, cols]. */
  kind: 'labels' | 'images';
  /** For images: the expected [rows, cols] of one image (e.g. [28, 28]). */
  imageShape?: readonly [number, number];
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Parses IDX bytes already in memory (exposed for tests). */
export function parseIdx(file: string, bytes: Uint8Array, expect: IdxExpectation): IdxArray {
  const expectedMagic = expect.kind === 'labels' ? IDX_MAGIC_LABELS : IDX_MAGIC_IMAGES;
  const ndim = expectedMagic & 0xff;
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < 4) throw Errors.idxBadSize(file, bytes.length, headerBytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expectedMagic) throw Errors.idxBadMagic(file, magic, expectedMagic);
  if (bytes.length < headerBytes) throw Errors.idxBadSize(file, bytes.length, headerBytes);

  const dims: number[] = [];
  for (let d = 0; d < ndim; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const shape = expect.imageShape;
  if (dims[0] === 0) throw Errors.idxBadDims(file, dims, 'at least one item');
  if (expect.kind === 'images' && shape && (dims[1] !== shape[0] || dims[2] !== shape[1])) {
    throw Errors.idxBadDims(file, dims, `[n, ${shape[0]}, ${shape[1]}]`);
  }
  if (dims.some((d) => d === 0)) throw Errors.idxBadDims(file, dims, 'no zero dimension');

  const items = dims.reduce((a, b) => a * b, 1);
  const expectedBytes = headerBytes + items;
  if (bytes.length !== expectedBytes) throw Errors.idxBadSize(file, bytes.length, expectedBytes);
  return { file, dims, data: bytes.subarray(headerBytes) };
}

/** Reads and checks an IDX file; gzip-compressed files (.gz or gzip magic) are inflated first. */
export async function readIdx(file: string, expect: IdxExpectation): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw Errors.idxUnreadable(file, error);
  }
  if (file.endsWith('.gz') || isGzip(bytes)) {
    try {
      bytes = await gunzip(bytes);
    } catch (error) {
      throw Errors.idxBadGzip(file, error);
    }
  }
  return parseIdx(file, bytes, expect);
}

/** Builds an IDX file in memory (tests and fixtures). */
export function encodeIdx(kind: 'labels' | 'images', dims: readonly number[], data: Uint8Array): Uint8Array {
  const magic = kind === 'labels' ? IDX_MAGIC_LABELS : IDX_MAGIC_IMAGES;
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
