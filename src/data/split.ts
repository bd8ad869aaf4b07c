// The classic mnist.pkl.gz split, applied to MNIST and Fashion-MNIST alike:
// train = the first 50,000 images of the training file, validation = its last
// 10,000, test = the t10k file. Pixels become float32 in [0, 1] (byte / 255).
// Arrays live in SharedArrayBuffers so that worker threads can share them
// without copies.
import { Errors } from '../errors.js';
import type { IdxArray } from './idx.js';

export const TRAIN_ROWS = 50_000;
export const VAL_ROWS = 10_000;
export const IMAGE_SHAPE = [28, 28] as const;
export const FEATURES = IMAGE_SHAPE[0] * IMAGE_SHAPE[1];
export const CLASSES = 10;

export interface DatasetFiles {
  trainImages: string;
  trainLabels: string;
  testImages: string;
  testLabels: string;
}

export interface DataSplit {
  name: 'train' | 'val' | 'test';
  rows: number;
  features: number;
  /** rows x features, row-major, values in [0, 1]; SharedArrayBuffer-backed. */
  x: Float32Array;
  /** rows labels in [0, classes); SharedArrayBuffer-backed. */
  y: Uint8Array;
}

export interface DatasetSplits {
  dataset: string;
  features: number;
  classes: number;
  files: DatasetFiles;
  train: DataSplit;
  val: DataSplit;
  test: DataSplit;
}

export interface SplitOptions {
  /** Keep only the first `subset` rows of the training split (quick runs, tests). */
  subset?: number;
}

/** Copies rows [start, start + rows) of an IDX image/label pair into shared float32/uint8 arrays. */
export function makeSplit(
  name: DataSplit['name'],
  images: IdxArray,
  labels: IdxArray,
  start: number,
  rows: number,
): DataSplit {
  const features = images.data.length / images.dims[0]!;
  const x = new Float32Array(new SharedArrayBuffer(rows * features * Float32Array.BYTES_PER_ELEMENT));
  const pixels = images.data.subarray(start * features, (start + rows) * features);
  for (let i = 0; i < pixels.length; i++) x[i] = pixels[i]! / 255;
  const y = new Uint8Array(new SharedArrayBuffer(rows));
  y.set(labels.data.subarray(start, start + rows));
  return { name, rows, features, x, y };
}

function checkPair(images: IdxArray, labels: IdxArray): void {
  const n = images.dims[0]!;
  if (labels.dims[0] !== n) throw Errors.idxCountMismatch(images.file, n, labels.file, labels.dims[0]!);
  const y = labels.data;
  for (let i = 0; i < y.length; i++) {
    if (y[i]! >= CLASSES) throw Errors.idxBadLabel(labels.file, i, y[i]!, CLASSES);
  }
}

export function splitDataset(
  dataset: string,
  files: DatasetFiles,
  train: { images: IdxArray; labels: IdxArray },
  test: { images: IdxArray; labels: IdxArray },
  options: SplitOptions = {},
): DatasetSplits {
  checkPair(train.images, train.labels);
  checkPair(test.images, test.labels);
  const trainCount = train.images.dims[0]!;
  if (trainCount < TRAIN_ROWS + VAL_ROWS) {
    throw Errors.datasetTooSmall(train.images.file, trainCount, TRAIN_ROWS + VAL_ROWS);
  }
  const subset = options.subset;
  if (subset !== undefined && (!Number.isInteger(subset) || subset < 1 || subset > TRAIN_ROWS)) {
    throw Errors.invalidOption('--subset', subset, `an integer in [1, ${TRAIN_ROWS}]`);
  }
  const trainRows = subset ?? TRAIN_ROWS;
  return {
    dataset,
    features: FEATURES,
    classes: CLASSES,
    files,
    train: makeSplit('train', train.images, train.labels, 0, trainRows),
    val: makeSplit('val', train.images, train.labels, trainCount - VAL_ROWS, VAL_ROWS),
    test: makeSplit('test', test.images, test.labels, 0, test.images.dims[0]!),
  };
}
