// Derived seeds. A trial has one user-facing `seed`; the weight
// initialisation and the per-epoch shuffles get independent streams from it:
//   initSeed    = deriveSeed(seed, 1)
//   shuffleSeed = deriveSeed(seed, 2)
// deriveSeed is the SplitMix64 finaliser applied to seed + stream·γ
// (γ = 0x9E3779B97F4A7C15, the golden-ratio increment), keeping the high 32
// bits. Nearby seeds thus give unrelated streams, and the mapping is fixed
// forever: changing it would change every recorded trial.
const GAMMA = 0x9e3779b97f4a7c15n;
const MASK64 = (1n << 64n) - 1n;

export const SEED_STREAM_INIT = 1;
export const SEED_STREAM_SHUFFLE = 2;

export function deriveSeed(seed: number, stream: number): number {
  let z = (BigInt(seed) + BigInt(stream) * GAMMA) & MASK64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  z = z ^ (z >> 31n);
  return Number(z >> 32n);
}

export interface TrialSeeds {
  init: number;
  shuffle: number;
}

export function trialSeeds(seed: number): TrialSeeds {
  return { init: deriveSeed(seed, SEED_STREAM_INIT), shuffle: deriveSeed(seed, SEED_STREAM_SHUFFLE) };
}
