// `hypersweep featuremaps`: what the first convolution layer of a trained
// CNN sees in one image — each of its filters' activation maps (after relu),
// scaled to 0..255 on its own range, as one PNG grid.
import fs from 'node:fs';

import * as tf from '@tensorflow/tfjs';

import { decodeImage } from '../../data/image-decode.js';
import { Errors } from '../../errors.js';
import type { LoadedCnn } from '../../trials/cnn/checkpoint.js';
import { MODEL_SHAPES } from '../../trials/cnn/models.js';
import { normalizeToBytes, writePngGrid, type Tile } from './png-grid.js';

export interface FeatureMapsResult {
  file: string;
  maps: number;
  height: number;
  width: number;
  layer: string;
}

/** Raw image pixels (0..255, the model's input size) → the network's input tensor values. */
export function toNetworkInput(pixels: Uint8Array, input: { scale: number[]; shift: number[] }): Float32Array {
  const c = input.scale.length;
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i]! * input.scale[i % c]! + input.shift[i % c]!;
  return out;
}

export async function writeFeatureMaps(loaded: LoadedCnn, imageFile: string, outFile: string): Promise<FeatureMapsResult> {
  const [h, w, c] = MODEL_SHAPES[loaded.info.model].input;
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(imageFile);
  } catch (error) {
    throw Errors.invalidOption('--image', imageFile, `a readable JPEG or PNG file (${(error as Error).message})`);
  }
  let pixels: Uint8Array;
  try {
    pixels = await decodeImage(bytes, { width: w, height: h, channels: c as 1 | 3 });
  } catch (error) {
    throw Errors.invalidOption('--image', imageFile, `a JPEG or PNG image (${(error as Error).message})`);
  }
  const model = loaded.model;
  const first = model.layers.find((l) => l.getClassName() === 'Conv2D');
  if (!first) throw Errors.weightsCorrupt(loaded.file, 'the model has no convolution layer');
  const probe = tf.model({ inputs: model.inputs, outputs: first.output as tf.SymbolicTensor });
  const maps = tf.tidy(() => probe.predict(tf.tensor4d(toNetworkInput(pixels, loaded.info.input), [1, h, w, c])) as tf.Tensor);
  const [, mh, mw, count] = maps.shape as [number, number, number, number];
  const values = maps.dataSync() as Float32Array;
  maps.dispose();
  const tiles: Tile[] = [];
  const one = new Float32Array(mh * mw);
  for (let k = 0; k < count; k++) {
    for (let i = 0; i < mh * mw; i++) one[i] = values[i * count + k]!;
    tiles.push({ pixels: normalizeToBytes(one), height: mh, width: mw, channels: 1, caption: `${k}` });
  }
  // The input itself first, so the maps can be read against it.
  tiles.unshift({ pixels, height: h, width: w, channels: c as 1 | 3, caption: 'input' });
  const scale = Math.max(1, Math.round(96 / Math.max(mh, mw)));
  await writePngGrid(outFile, tiles, { columns: Math.ceil(Math.sqrt(tiles.length)), scale, gap: 4, captionHeight: 14 });
  return { file: outFile, maps: count, height: mh, width: mw, layer: first.name };
}
