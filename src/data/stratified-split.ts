// A validation split that keeps every class in the same proportion, drawn
// from a seed: each class's images are shuffled by their own generator
// (seed, SPLIT_STREAM, class), and the first round(n_c · valFraction) go to
// validation. Same seed and labels ⇒ same split, on any machine; a class
// keeps at least one training image.
import { Rng } from '../samplers/rng.js';

/** 'SPLT': keeps the split's draws apart from every other use of the seed. */
export const SPLIT_STREAM = 0x53504c54;

export interface IndexSplit {
  /** Indices of the training items, ascending. */
  train: Uint32Array;
  /** Indices of the validation items, ascending. */
  val: Uint32Array;
}

/** How many of a class's n items go to validation. */
export function validationCount(n: number, valFraction: number): number {
  return Math.max(0, Math.min(n - 1, Math.round(n * valFraction)));
}

export function stratifiedSplit(labels: Uint8Array, classes: number, valFraction: number, seed: number): IndexSplit {
  const members: number[][] = Array.from({ length: classes }, () => []);
  labels.forEach((label, i) => members[label]!.push(i));
  const isVal = new Uint8Array(labels.length);
  let valTotal = 0;
  members.forEach((idx, c) => {
    const k = validationCount(idx.length, valFraction);
    const rng = new Rng(seed >>> 0, SPLIT_STREAM, c);
    // Partial Fisher-Yates: the first k places get a uniform random k-subset.
    for (let i = 0; i < k; i++) {
      const j = i + rng.nextInt(idx.length - i);
      const t = idx[i]!;
      idx[i] = idx[j]!;
      idx[j] = t;
      isVal[idx[i]!] = 1;
    }
    valTotal += k;
  });
  const train = new Uint32Array(labels.length - valTotal);
  const val = new Uint32Array(valTotal);
  let t = 0;
  let v = 0;
  for (let i = 0; i < labels.length; i++) {
    if (isVal[i]) val[v++] = i;
    else train[t++] = i;
  }
  return { train, val };
}
