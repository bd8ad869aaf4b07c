// loadDataset(name): the one entry point to the data of a trial.
import { Errors } from '../errors.js';
import { fashionMnistFiles } from './fashion-mnist.js';
import { readIdx } from './idx.js';
import { mnistFiles } from './mnist.js';
import { IMAGE_SHAPE, splitDataset, type DatasetFiles, type DatasetSplits, type SplitOptions } from './split.js';

export type { DataSplit, DatasetFiles, DatasetSplits, SplitOptions } from './split.js';
export { CLASSES, FEATURES, TRAIN_ROWS, VAL_ROWS } from './split.js';

export const DATASET_NAMES = ['mnist', 'fashion-mnist'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export function parseDatasetName(value: string): DatasetName {
  if (!(DATASET_NAMES as readonly string[]).includes(value)) throw Errors.unknownDataset(value, DATASET_NAMES);
  return value as DatasetName;
}

export function datasetFiles(name: DatasetName): DatasetFiles {
  return name === 'mnist' ? mnistFiles() : fashionMnistFiles();
}

export async function loadDatasetFiles(
  name: string,
  files: DatasetFiles,
  options: SplitOptions = {},
): Promise<DatasetSplits> {
  const images = { kind: 'images', imageShape: IMAGE_SHAPE } as const;
  const labels = { kind: 'labels' } as const;
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    readIdx(files.trainImages, images),
    readIdx(files.trainLabels, labels),
    readIdx(files.testImages, images),
    readIdx(files.testLabels, labels),
  ]);
  return splitDataset(
    name,
    files,
    { images: trainImages, labels: trainLabels },
    { images: testImages, labels: testLabels },
    options,
  );
}

export async function loadDataset(name: DatasetName, options: SplitOptions = {}): Promise<DatasetSplits> {
  return loadDatasetFiles(name, datasetFiles(parseDatasetName(name)), options);
}
