// Seeded randomness for studies. Nothing here keeps state between trials: every
// generator is created from (study seed, trial number, stream), so a resumed
// study draws exactly what an uninterrupted one would, in any process.
//
// Generator: xoshiro128** (Blackman & Vigna), 32-bit words only, so it runs on
// plain JS numbers with Math.imul and unsigned shifts (no BigInt). Its 128-bit
// state is filled from the key words by a 32-bit integer hash (the "lowbias32"
// finaliser found by Chris Wellons' hash prospector), applied in a chain so
// that every bit of every key word reaches every state word.
//
// No Math.random anywhere: the whole project's sampling goes through this file.

/** Largest seed accepted: seeds are unsigned 32-bit integers (as in the native core). */
export const MAX_SEED = 0xffffffff;

/** Independent streams derived from one (seed, trial) pair. */
export const Stream = {
  /** The sampler's draws for a trial's parameters. */
  sampler: 1,
  /** The trial's own training seed (weight init, shuffling). */
  trial: 2,
  /** Define-by-run: one parameter's draws, keyed by its name (see rngForParam). */
  param: 3,
} as const;
export type StreamId = (typeof Stream)[keyof typeof Stream];

function hash32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

function checkUint32(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_SEED) {
    throw new RangeError(`${what} must be an integer in [0, ${MAX_SEED}], got ${value}`);
  }
}

const TWO_POW_32 = 4294967296;
const TWO_POW_M53 = 1 / 9007199254740992;

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** Prefer `rngFor(seed, trial, stream)`; this takes the four key words directly. */
  constructor(k0: number, k1: number, k2: number) {
    // Chain the key words through the hash (golden-ratio offsets keep equal
    // words from cancelling), then expand to four state words.
    let h = hash32(k0 ^ 0x9e3779b9);
    h = hash32(h ^ k1 ^ 0x3c6ef372);
    h = hash32(h ^ k2 ^ 0xdaa66d2b);
    this.s0 = hash32(h + 0x243f6a88);
    this.s1 = hash32(h + 0x85a308d3);
    this.s2 = hash32(h + 0x13198a2e);
    this.s3 = hash32(h + 0x03707344);
    // xoshiro must not start from the all-zero state.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A generator with the given raw state (for checking against the reference implementation). */
  static fromState(s0: number, s1: number, s2: number, s3: number): Rng {
    const rng = new Rng(0, 0, 0);
    rng.s0 = s0 >>> 0;
    rng.s1 = s1 >>> 0;
    rng.s2 = s2 >>> 0;
    rng.s3 = s3 >>> 0;
    return rng;
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s0 = this.s0;
    const s1 = this.s1;
    const s2 = this.s2;
    const s3 = this.s3;
    // result = rotl(s1 * 5, 7) * 9
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 = s2 ^ s0;
    this.s3 = s3 ^ s1;
    this.s1 = s1 ^ this.s2;
    this.s0 = s0 ^ this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    this.s3 >>>= 0;
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) * TWO_POW_M53;
  }

  /** Uniform double in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.nextFloat();
  }

  /** Uniform integer in [0, n), unbiased (rejection), for 1 <= n <= 2^32. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) throw new RangeError(`nextInt: bad range ${n}`);
    if (n === 1) return 0;
    // Reject the top sliver of [0, 2^32) that would favour small results.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }
}

/** The generator for one trial's stream: a pure function of its three arguments. */
export function rngFor(studySeed: number, trialNumber: number, stream: StreamId): Rng {
  checkUint32('seed', studySeed);
  checkUint32('trial number', trialNumber);
  return new Rng(studySeed, trialNumber, stream);
}

/** 32-bit FNV-1a of a string's UTF-16 code units (a parameter name → a key word). */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The generator of one parameter of one trial, for define-by-run sampling: a
 * pure function of (study seed, trial number, name), so a parameter's draws do
 * not depend on which other parameters the trial asked for, or in what order.
 */
export function rngForParam(studySeed: number, trialNumber: number, name: string): Rng {
  checkUint32('seed', studySeed);
  checkUint32('trial number', trialNumber);
  // The stream word mixes the name with Stream.param, so that it does not
  // coincide with the whole-trial streams for any ordinary name.
  return new Rng(studySeed, trialNumber, hash32(hashName(name) ^ Stream.param) ^ 0x5bd1e995);
}

/**
 * The training seed of a trial (weight init, shuffling), derived from
 * (study seed, trial number) only. An unsigned 32-bit integer.
 */
export function deriveTrialSeed(studySeed: number, trialNumber: number): number {
  return rngFor(studySeed, trialNumber, Stream.trial).nextUint32();
}
