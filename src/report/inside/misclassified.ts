// `hypersweep misclassified`: the validation images a trained CNN got most
// wrong, and the ones it was least sure about, with their scores, plus a
// contact sheet PNG of both lists.
//   binary (one sigmoid output, p = P(class 1)):
//     wrongness  = |p − y|            (1: confidently wrong)
//     nearest 0.5 = smallest |p − 0.5|
//   several classes (softmax):
//     wrongness  = 1 − p[true class]
//     least sure = smallest gap between the two highest probabilities
import type { CnnData, Rescaler } from '../../trials/cnn/data.js';
import type * as tf from '@tensorflow/tfjs';

import { predictSplit } from '../../trials/cnn/train.js';
import { writePngGrid, type Tile } from './png-grid.js';

export interface ScoredImage {
  /** Index in the validation split. */
  index: number;
  /** The image's file (image folders) or `val[<index>]`. */
  file: string;
  label: string;
  predicted: string;
  /** P(class 1) for a binary model, else the probability of the predicted class. */
  probability: number;
  /** The probability given to the true class. */
  p_true: number;
  /** The list's ranking score: wrongness, or distance from the decision boundary. */
  score: number;
}

export interface MisclassifiedReport {
  val_count: number;
  wrong_count: number;
  most_wrong: ScoredImage[];
  least_sure: ScoredImage[];
  /** What least_sure measures. */
  least_sure_rule: string;
}

export function scoreValidation(model: tf.LayersModel, data: CnnData, rescaler: Rescaler, top: number): MisclassifiedReport {
  const split = data.val;
  const probs = predictSplit(model, split, data, rescaler);
  const outputs = probs.length / split.count;
  const names = data.classNames ?? Array.from({ length: Math.max(data.classes, 2) }, (_, k) => String(k));
  const all: Array<ScoredImage & { wrong: boolean; sure: number }> = [];
  for (let i = 0; i < split.count; i++) {
    const y = split.labels[i]!;
    let predicted: number;
    let probability: number;
    let pTrue: number;
    let sure: number;
    if (outputs === 1) {
      const p = probs[i]!;
      predicted = p > 0.5 ? 1 : 0;
      probability = p;
      pTrue = y === 1 ? p : 1 - p;
      sure = Math.abs(p - 0.5);
    } else {
      const row = probs.subarray(i * outputs, (i + 1) * outputs);
      let a = 0;
      let b = -1;
      for (let k = 1; k < outputs; k++) {
        if (row[k]! > row[a]!) {
          b = a;
          a = k;
        } else if (b < 0 || row[k]! > row[b]!) b = k;
      }
      predicted = a;
      probability = row[a]!;
      pTrue = row[y]!;
      sure = row[a]! - row[b]!;
    }
    all.push({
      index: i,
      file: split.files?.[i] ?? `val[${i}]`,
      label: names[y] ?? String(y),
      predicted: names[predicted] ?? String(predicted),
      probability,
      p_true: pTrue,
      score: 1 - pTrue,
      wrong: predicted !== y,
      sure,
    });
  }
  const strip = ({ wrong: _w, sure: _s, ...rest }: (typeof all)[number]): ScoredImage => rest;
  const mostWrong = all.filter((s) => s.wrong).sort((p, q) => q.score - p.score || p.index - q.index).slice(0, top).map(strip);
  const leastSure = [...all]
    .sort((p, q) => p.sure - q.sure || p.index - q.index)
    .slice(0, top)
    .map((s) => ({ ...strip(s), score: s.sure }));
  return {
    val_count: split.count,
    wrong_count: all.filter((s) => s.wrong).length,
    most_wrong: mostWrong,
    least_sure: leastSure,
    least_sure_rule: outputs === 1 ? '|p - 0.5| (nearest 0.5 first)' : 'gap between the two highest probabilities (smallest first)',
  };
}

/** The two lists as one contact sheet: most wrong first (red captions), then least sure (gray). */
export async function writeContactSheet(file: string, data: CnnData, report: MisclassifiedReport): Promise<void> {
  const pixels = data.height * data.width * data.channels;
  const toBytes = (index: number): Uint8Array => {
    const src = data.val.images;
    const out = new Uint8Array(pixels);
    for (let i = 0; i < pixels; i++) out[i] = Math.round(Math.min(255, Math.max(0, src[index * pixels + i]! * data.pixelScale)));
    return out;
  };
  const tile = (s: ScoredImage, color: string): Tile => ({
    pixels: toBytes(s.index),
    height: data.height,
    width: data.width,
    channels: data.channels as 1 | 3,
    caption: `${s.label}→${s.predicted} ${s.probability.toFixed(2)}`,
    captionColor: color,
  });
  const tiles = [...report.most_wrong.map((s) => tile(s, '#b00')), ...report.least_sure.map((s) => tile(s, '#555'))];
  if (tiles.length === 0) return;
  const scale = Math.max(1, Math.round(96 / Math.max(data.height, data.width)));
  await writePngGrid(file, tiles, { columns: Math.min(8, tiles.length), scale, gap: 6, captionHeight: 16 });
}
