// stratifiedSplit: per-class proportions, disjoint and complete, deterministic
// from the seed, and a uniform choice of which items are held out.
import { describe, expect, it } from 'vitest';

import { stratifiedSplit, validationCount } from '../src/data/stratified-split.js';

function labelsOf(sizes: readonly number[]): Uint8Array {
  // Interleaved, so a split that ignored labels would not pass by luck.
  const out: number[] = [];
  const left = [...sizes];
  while (left.some((n) => n > 0)) left.forEach((n, c) => n > 0 && (out.push(c), left[c]!--));
  return Uint8Array.from(out);
}

describe('stratifiedSplit', () => {
  it('holds out round(n_c · fraction) of every class, keeps one for training, and covers every item once', () => {
    const sizes = [1, 2, 5, 10, 33, 100];
    const labels = labelsOf(sizes);
    for (const fraction of [0, 0.1, 0.2, 0.5, 0.9]) {
      const { train, val } = stratifiedSplit(labels, sizes.length, fraction, 3);
      const all = [...train, ...val].sort((a, b) => a - b);
      expect(all).toEqual(Array.from(labels.keys()));
      expect([...train]).toEqual([...train].sort((a, b) => a - b));
      expect([...val]).toEqual([...val].sort((a, b) => a - b));
      sizes.forEach((n, c) => {
        const v = [...val].filter((i) => labels[i] === c).length;
        const want = Math.min(n - 1, Math.round(n * fraction));
        expect(v, `class ${c} of ${n}, fraction ${fraction}`).toBe(want);
        expect(validationCount(n, fraction)).toBe(want);
      });
    }
  });

  it('is a pure function of the seed', () => {
    const labels = labelsOf([40, 60]);
    const a = stratifiedSplit(labels, 2, 0.25, 42);
    expect(stratifiedSplit(labels, 2, 0.25, 42)).toEqual(a);
    expect(Array.from(stratifiedSplit(labels, 2, 0.25, 43).val)).not.toEqual(Array.from(a.val));
  });

  it('picks every item with the same probability', () => {
    const labels = labelsOf([10, 10]);
    const hits = new Float64Array(labels.length);
    const seeds = 4000;
    for (let seed = 0; seed < seeds; seed++) for (const i of stratifiedSplit(labels, 2, 0.3, seed).val) hits[i]!++;
    // Each item is held out with probability 3/10: binomial sd over 4000 seeds ≈ 0.0072.
    for (const h of hits) expect(Math.abs(h / seeds - 0.3)).toBeLessThan(0.035);
  });
});
