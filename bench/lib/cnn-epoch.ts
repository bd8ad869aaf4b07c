// One timed epoch of the light CNN through the real trial path (trainCnn on
// MNIST, as `hypersweep trial` runs it), for `npm run bench:cnn`. Runs in the
// process whose tfjs backend is being measured: the caller has set it up.
//
// The timed epoch comes after a warm-up trainCnn call on a slice of the data
// (JIT, tfjs kernel set-up, thread pools, first-touch pages) with a model of
// its own, so the timed one starts from fresh Glorot weights like a trial.
// Figures come from the epoch's metrics: train_seconds (the minibatch loop
// alone) and seconds (with the validation pass after it).
import { loadDataset } from '../../src/data/index.js';
import { cnnDataFromSplits, type CnnData, type ImageSplit } from '../../src/trials/cnn/data.js';
import { resolveCnnParams } from '../../src/trials/cnn/params.js';
import { trainCnn } from '../../src/trials/cnn/train.js';

/** Images of a full epoch (the training split of MNIST). */
export const EPOCH_IMAGES = 50_000;
export const BATCH = 64;

export interface CnnEpochRecord {
  kind: 'cnn_epoch';
  /** Images trained on in the timed epoch (EPOCH_IMAGES unless --images / --stock-images). */
  images: number;
  /** Validation images evaluated after it (scaled down with `images`, so the whole epoch extrapolates). */
  valImages: number;
  warmupImages: number;
  batch: number;
  /** Seconds of the minibatch loop, as measured (for `images` images). */
  trainSeconds: number;
  /** Seconds of the whole epoch (training + validation), as measured. */
  epochSeconds: number;
  /** Training images per second (minibatch loop only). */
  samplesPerS: number;
  /** train / whole seconds scaled to EPOCH_IMAGES (equal to the measured ones on a full epoch). */
  trainSecondsPerEpoch: number;
  epochSecondsPerEpoch: number;
  extrapolated: boolean;
  trainLoss: number;
  valAccuracy: number;
  state: string;
}

function slice(split: ImageSplit, count: number, pixels: number): ImageSplit {
  return { images: split.images.subarray(0, count * pixels), labels: split.labels.subarray(0, count), count };
}

/** `data` cut to its first `train` training and `val` validation images; no test split (not timed). */
function subset(data: CnnData, train: number, val: number): CnnData {
  const pixels = data.height * data.width * data.channels;
  return { ...data, train: slice(data.train, train, pixels), val: slice(data.val, val, pixels), test: null };
}

export async function loadMnistForCnn(): Promise<CnnData> {
  return cnnDataFromSplits(await loadDataset('mnist'));
}

/**
 * Warm-up on `warmupImages`, then one timed epoch on the first `images`
 * training images. The validation split is cut in the same proportion so
 * that the whole-epoch time extrapolates as the training time does.
 */
export async function timeCnnEpoch(data: CnnData, images: number, warmupImages: number): Promise<CnnEpochRecord> {
  if (images > data.train.count) throw new Error(`--images ${images}: MNIST's training split has ${data.train.count}`);
  const valImages = Math.max(1, Math.round((images * data.val.count) / data.train.count));
  const params = resolveCnnParams('cnn-light', { epochs: 1, batch_size: BATCH, lr: 0.01, optimizer: 'sgd', seed: 0 });
  if (warmupImages > 0) {
    const warm = await trainCnn(params, { model: 'cnn-light', data: subset(data, warmupImages, Math.min(BATCH, valImages)) });
    warm.model.dispose();
  }
  const result = await trainCnn(params, { model: 'cnn-light', data: subset(data, images, valImages) });
  result.model.dispose();
  const m = result.epochs[0];
  if (!m) throw new Error(`trainCnn finished without an epoch (${result.state}: ${result.reason ?? 'no reason'})`);
  const scale = EPOCH_IMAGES / images;
  return {
    kind: 'cnn_epoch',
    images,
    valImages,
    warmupImages,
    batch: BATCH,
    trainSeconds: m.train_seconds,
    epochSeconds: m.seconds,
    samplesPerS: images / m.train_seconds,
    trainSecondsPerEpoch: m.train_seconds * scale,
    epochSecondsPerEpoch: m.seconds * scale,
    extrapolated: images !== EPOCH_IMAGES,
    trainLoss: m.train_loss,
    valAccuracy: m.val_accuracy,
    state: result.state,
  };
}
