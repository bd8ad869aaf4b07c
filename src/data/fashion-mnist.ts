// Fashion-MNIST from Debian's package `dataset-fashion-mnist`, which installs
// the four gzipped IDX files in /usr/share/datasets/fashion-mnist
// (`dpkg -L dataset-fashion-mnist`). HYPERSWEEP_FASHION_MNIST_DIR points
// elsewhere (another distribution, a manual download, tests).
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { Errors } from '../errors.js';
import type { DatasetFiles } from './split.js';

export const FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_DIR_ENV = 'HYPERSWEEP_FASHION_MNIST_DIR';

export function fashionMnistDir(): string {
  return process.env[FASHION_MNIST_DIR_ENV] || FASHION_MNIST_DEBIAN_DIR;
}

export function fashionMnistFiles(dir = fashionMnistDir()): DatasetFiles {
  const files: DatasetFiles = {
    trainImages: join(dir, 'train-images-idx3-ubyte.gz'),
    trainLabels: join(dir, 'train-labels-idx1-ubyte.gz'),
    testImages: join(dir, 't10k-images-idx3-ubyte.gz'),
    testLabels: join(dir, 't10k-labels-idx1-ubyte.gz'),
  };
  for (const file of Object.values(files)) {
    if (!existsSync(file)) {
      throw Errors.datasetMissing(
        'fashion-mnist',
        file,
        `install it with: apt-get install dataset-fashion-mnist (or set ${FASHION_MNIST_DIR_ENV} to a folder holding the four .gz IDX files)`,
      );
    }
  }
  return files;
}
