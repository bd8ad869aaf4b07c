// Where a CNN trial's images come from: the MNIST-style IDX datasets (28×28
// gray, for cnn-light and cnn) or an image folder (any model: decoded,
// resized to the model's input and cached by src/data/image-folder.ts).
// The returned arrays live in SharedArrayBuffers, so a sweep loads them once
// and every worker thread trains on the same memory.
import path from 'node:path';

import { DATASET_NAMES, loadDataset, type DatasetName } from '../../data/index.js';
import { defaultImageCacheDir, loadImageFolder } from '../../data/image-folder.js';
import { Errors } from '../../errors.js';
import { cnnDataFromSplits, type CnnData } from './data.js';
import { MODEL_SHAPES } from './models.js';
import type { CnnModelName } from './params.js';

export interface CnnDataRequest {
  /** `mnist`, `fashion-mnist`, or a folder of images. */
  dataset: string;
  /** Train on the first N training images only (IDX datasets), or N images per class (folders). */
  subset?: number | null;
  /** Image folders: fraction of each class held out for validation, and the split's seed. */
  valFraction?: number;
  splitSeed?: number;
  /** Image folders: the decoded-image cache lives under <resultsDir>/.cache/images. */
  resultsDir: string;
  /** Image folders: told about files skipped as unreadable and images dropped as blank. */
  onNotice?: (line: string) => void;
}

export const DEFAULT_VAL_FRACTION = 0.2;

export function isIdxDataset(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}

export async function loadCnnData(model: CnnModelName, request: CnnDataRequest): Promise<CnnData> {
  const [height, width, channels] = MODEL_SHAPES[model].input;
  const subset = request.subset ?? null;
  if (isIdxDataset(request.dataset)) {
    if (height !== 28 || width !== 28 || channels !== 1) {
      throw Errors.datasetNotForModel(request.dataset, model, `${model} takes ${height}×${width}×${channels} images: give it an image folder`);
    }
    return cnnDataFromSplits(await loadDataset(request.dataset, subset === null ? {} : { subset }));
  }
  const dir = path.resolve(request.dataset);
  const folder = await loadImageFolder(dir, {
    width,
    height,
    channels: channels as 1 | 3,
    valFraction: request.valFraction ?? DEFAULT_VAL_FRACTION,
    seed: request.splitSeed ?? 0,
    cacheDir: defaultImageCacheDir(request.resultsDir),
    ...(subset === null ? {} : { limit: subset }),
  });
  for (const s of folder.skipped) request.onNotice?.(`skipped ${s.file}: ${s.reason}`);
  if (folder.blankDropped > 0) request.onNotice?.(`dropped ${folder.blankDropped} blank image(s) (every pixel the same colour)`);
  if (MODEL_SHAPES[model].outputs === 1 && folder.classes.length !== 2) {
    throw Errors.datasetNotForModel(dir, model, `${model} is a binary classifier, the folder has ${folder.classes.length} classes (${folder.classes.join(', ')})`);
  }
  if (MODEL_SHAPES[model].outputs > 1 && folder.classes.length > MODEL_SHAPES[model].outputs) {
    throw Errors.datasetNotForModel(dir, model, `${model} has ${MODEL_SHAPES[model].outputs} outputs, the folder has ${folder.classes.length} classes`);
  }
  if (folder.val.count === 0) {
    throw Errors.datasetNotForModel(dir, model, 'the validation split is empty: raise val_fraction or add images');
  }
  return {
    name: dir,
    height,
    width,
    channels,
    classes: MODEL_SHAPES[model].outputs === 1 ? 2 : MODEL_SHAPES[model].outputs,
    classNames: folder.classes,
    pixelScale: 1,
    train: { images: folder.train.images, labels: folder.train.labels, count: folder.train.count, files: folder.train.files },
    val: { images: folder.val.images, labels: folder.val.labels, count: folder.val.count, files: folder.val.files },
    test: null,
  };
}
