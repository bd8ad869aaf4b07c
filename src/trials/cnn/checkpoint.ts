// Saved CNN weights: results/<study>/trials/<n>/ holds
//   cnn-model.json   the tfjs model topology, the weight manifest and what
//                    the trial was (model name, params, epoch, metric value)
//   cnn-weights.bin  the weights, float32, in the manifest's order
// the two halves of tfjs's own save format, so `tf.loadLayersModel` reads
// them back. The binary file is written first and the JSON last, each
// atomically (temporary file + rename): a crash leaves either the previous
// pair or no JSON, never a JSON that points at missing weights.
import fs from 'node:fs';
import path from 'node:path';

import * as tf from '@tensorflow/tfjs';

import { Errors } from '../../errors.js';
import { writeFileAtomic } from '../../study/leaderboard.js';
import { CNN_MODEL_FILE, CNN_WEIGHTS_FILE, trialDir } from '../weights.js';
import { isCnnModel, type CnnModelName, type CnnParams } from './params.js';
import type { InputTransform } from './train.js';
import './seeded-dropout.js'; // registers the custom layer the topology may name

export const CNN_CHECKPOINT_FORMAT = 1;

export interface CnnCheckpointInfo {
  model: CnnModelName;
  params: CnnParams;
  /** Epoch (from 1) the weights are from. */
  epoch: number | null;
  metric: string;
  value: number | null;
  engine: string;
  /** Image-folder class names in label order (MNIST: the digits). */
  classes?: string[];
  /** Raw pixels (0..255) → network input, per channel: raw·scale + shift (needed to feed it new images). */
  input: InputTransform;
}

interface CheckpointFile {
  format: number;
  info: CnnCheckpointInfo;
  modelTopology: tf.io.ModelArtifacts['modelTopology'];
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightsFile: string;
}

export function cnnCheckpointPaths(resultsDir: string, study: string, trial: number): { model: string; weights: string } {
  const dir = trialDir(resultsDir, study, trial);
  return { model: path.join(dir, CNN_MODEL_FILE), weights: path.join(dir, CNN_WEIGHTS_FILE) };
}

export async function saveCnnCheckpoint(
  model: tf.LayersModel,
  files: { model: string; weights: string },
  info: CnnCheckpointInfo,
): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const bytes = data === undefined ? new Uint8Array(0) : new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data);
      const doc: CheckpointFile = {
        format: CNN_CHECKPOINT_FORMAT,
        info,
        modelTopology: artifacts.modelTopology,
        weightSpecs: artifacts.weightSpecs ?? [],
        weightsFile: path.basename(files.weights),
      };
      try {
        fs.mkdirSync(path.dirname(files.model), { recursive: true });
        writeFileAtomic(files.weights, bytes);
        writeFileAtomic(files.model, JSON.stringify(doc));
      } catch (error) {
        throw Errors.resultsUnwritable(files.model, error);
      }
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: bytes.byteLength } };
    }),
  );
}

export interface LoadedCnn {
  model: tf.LayersModel;
  info: CnnCheckpointInfo;
  file: string;
}

export async function loadCnnCheckpoint(file: string, study: string, trial: number): Promise<LoadedCnn> {
  let doc: CheckpointFile;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8')) as CheckpointFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw Errors.weightsMissing(file, study, trial);
    throw Errors.weightsCorrupt(file, (error as Error).message);
  }
  if (doc.format !== CNN_CHECKPOINT_FORMAT || !doc.info || !isCnnModel(doc.info.model)) {
    throw Errors.weightsCorrupt(file, `not a hypersweep CNN checkpoint (format ${String(doc.format)})`);
  }
  const weightsPath = path.join(path.dirname(file), doc.weightsFile);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(weightsPath);
  } catch {
    throw Errors.weightsCorrupt(file, `its weights file ${weightsPath} is missing`);
  }
  const expected = doc.weightSpecs.reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
  if (bytes.byteLength !== expected) {
    throw Errors.weightsCorrupt(weightsPath, `${bytes.byteLength} bytes, the manifest needs ${expected}`);
  }
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: doc.modelTopology!, weightSpecs: doc.weightSpecs, weightData }),
  );
  return { model, info: doc.info, file };
}
