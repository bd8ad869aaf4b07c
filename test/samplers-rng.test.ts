// The seeded generator and the special functions TPE's kernels are built on.
import { describe, expect, it } from 'vitest';
import { Rng, Stream, deriveTrialSeed, rngFor } from '../src/samplers/rng.js';
import { erfc, erfcx, erfcxReference } from '../src/samplers/tpe/erfcx.js';
import { logGaussMass, logIntervalMass, logNdtr, ndtr, ndtriExp, truncnormPpf } from '../src/samplers/tpe/truncnorm.js';

describe('rng', () => {
  it('is xoshiro128**: the reference output from state {1, 2, 3, 4}', () => {
    // From the reference C implementation (Blackman & Vigna), compiled and run.
    const rng = Rng.fromState(1, 2, 3, 4);
    const out = Array.from({ length: 10 }, () => rng.nextUint32());
    expect(out).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804]);
    const far = Rng.fromState(0x9e3779b9, 0x7f4a7c15, 0xf39cc060, 0x5ced1d00);
    for (let i = 0; i < 1000; i++) far.nextUint32();
    expect(far.nextUint32()).toBe(1770692937);
  });

  it('is a pure function of (seed, trial, stream)', () => {
    const draw = (seed: number, trial: number, stream: 1 | 2) => {
      const rng = rngFor(seed, trial, stream);
      return [rng.nextUint32(), rng.nextFloat(), rng.nextInt(1000)];
    };
    expect(draw(42, 7, Stream.sampler)).toEqual(draw(42, 7, Stream.sampler));
    expect(draw(42, 7, Stream.sampler)).not.toEqual(draw(42, 8, Stream.sampler));
    expect(draw(42, 7, Stream.sampler)).not.toEqual(draw(43, 7, Stream.sampler));
    expect(draw(42, 7, Stream.sampler)).not.toEqual(draw(42, 7, Stream.trial));
    // Neighbouring keys do not give correlated first draws.
    const firsts = new Set<number>();
    for (let s = 0; s < 50; s++) for (let t = 0; t < 50; t++) firsts.add(rngFor(s, t, Stream.sampler).nextUint32());
    expect(firsts.size).toBe(2500);
  });

  it('derives trial seeds as unsigned 32-bit integers, distinct per trial', () => {
    const seeds = Array.from({ length: 1000 }, (_, t) => deriveTrialSeed(3, t));
    for (const s of seeds) expect(Number.isInteger(s) && s >= 0 && s <= 0xffffffff).toBe(true);
    expect(new Set(seeds).size).toBe(1000);
    expect(deriveTrialSeed(3, 17)).toBe(deriveTrialSeed(3, 17));
  });

  it('rejects seeds and trial numbers outside [0, 2^32)', () => {
    expect(() => rngFor(-1, 0, Stream.sampler)).toThrow(RangeError);
    expect(() => rngFor(2 ** 32, 0, Stream.sampler)).toThrow(RangeError);
    expect(() => rngFor(0, 1.5, Stream.sampler)).toThrow(RangeError);
  });

  it('draws floats in [0, 1) with a uniform mean and unbiased integers', () => {
    const rng = rngFor(1, 0, Stream.sampler);
    let sum = 0;
    const counts = new Array<number>(6).fill(0);
    const n = 60000;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.nextFloat();
      if (!(u >= 0 && u < 1)) outside++;
      sum += u;
      counts[rng.nextInt(6)]!++;
    }
    expect(outside).toBe(0);
    expect(sum / n).toBeCloseTo(0.5, 2);
    for (const c of counts) expect(Math.abs(c - n / 6)).toBeLessThan(5 * Math.sqrt(n / 6));
  });
});

describe('special functions', () => {
  // Reference values: CPython's math.erfc (the C library's).
  const ERFC: Array<[number, number]> = [
    [0.1, 0.8875370839817152],
    [0.5, 0.4795001221869535],
    [1, 0.15729920705028513],
    [2, 0.004677734981047265],
    [3, 2.2090496998585438e-5],
    [5, 1.5374597944280351e-12],
    [8, 1.1224297172982928e-29],
    [10, 2.088487583762545e-45],
    [20, 5.3958656116079005e-176],
    [26, 5.663192408856143e-296],
  ];

  it('erfc matches the C library to 1e-13 relative', () => {
    for (const [x, ref] of ERFC) {
      expect(Math.abs(erfc(x) - ref) / ref).toBeLessThan(1e-13);
      expect(Math.abs(erfc(-x) - (2 - ref))).toBeLessThan(1e-15);
    }
    expect(erfc(0)).toBeCloseTo(1, 14);
  });

  it('the fast erfcx agrees with the slow series/continued fraction everywhere', () => {
    let worst = 0;
    for (let i = 0; i <= 20000; i++) {
      const x = i * 0.005;
      worst = Math.max(worst, Math.abs(erfcx(x) - erfcxReference(x)) / erfcxReference(x));
    }
    // Large x: the asymptotic series (1 − 1/(2x²) + 3/(4x⁴) − 15/(8x⁶)) / (x√π).
    for (let x = 100; x < 1e12; x *= 1.7) {
      const asym = (1 - 1 / (2 * x * x) + 3 / (4 * x ** 4) - 15 / (8 * x ** 6)) / (x * Math.sqrt(Math.PI));
      worst = Math.max(worst, Math.abs(erfcx(x) - asym) / asym);
    }
    expect(worst).toBeLessThan(5e-14);
  });

  it('log Φ is accurate in both tails', () => {
    // CPython: log(erfc(-z/√2)/2)
    const LOG_NDTR: Array<[number, number]> = [
      [-30, -454.3212439563431],
      [-20, -203.91715537109724],
      [-10, -53.23128515051246],
      [-2, -3.783184333682031],
      [0, -0.6931471805599453],
      [2, -0.02301290932896349],
    ];
    for (const [z, ref] of LOG_NDTR) expect(Math.abs(logNdtr(z) - ref) / Math.abs(ref)).toBeLessThan(1e-13);
    // Far left: the asymptotic series −z²/2 − log(−z) − log √(2π) + log(1 − 1/z² + 3/z⁴ − 15/z⁶).
    const z = -200;
    const asym = -0.5 * z * z - Math.log(-z) - 0.5 * Math.log(2 * Math.PI) + Math.log1p(-1 / z ** 2 + 3 / z ** 4 - 15 / z ** 6);
    expect(Math.abs(logNdtr(z) - asym) / Math.abs(asym)).toBeLessThan(1e-14);
    // Far right: log Φ(z) ≈ −Φ(−z).
    expect(logNdtr(10) / -ndtr(-10)).toBeCloseTo(1, 12);
  });

  it('ndtriExp inverts log Φ', () => {
    for (const y of [-1000, -100, -10, -2, Math.log(0.5), -0.1, -1e-6, -1e-12]) {
      const x = ndtriExp(y);
      expect(Math.abs(logNdtr(x) - y)).toBeLessThan(1e-13 * Math.max(1, Math.abs(y)));
    }
  });

  it('the truncated normal quantile hits its target mass, even far in a tail', () => {
    for (const [a, b] of [
      [-1, 1],
      [-50, -49],
      [30, 31],
      [-3, 40],
      [5, 5.001],
    ] as Array<[number, number]>) {
      const mass = logGaussMass(a, b);
      for (let q = 0; q < 1; q += 0.05) {
        const x = truncnormPpf(q, a, b, mass);
        expect(x >= a && x <= b).toBe(true);
        expect(Math.abs(Math.exp(logGaussMass(a, x) - mass) - q)).toBeLessThan(1e-9);
      }
    }
  });

  it('log masses add up: [a, c] = [a, b] + [b, c]', () => {
    for (const [a, b, c] of [
      [-3, 0.5, 2],
      [4, 6, 9],
      [-40, -39, -38],
    ] as Array<[number, number, number]>) {
      const whole = logGaussMass(a, c);
      const parts = Math.log(Math.exp(logGaussMass(a, b) - whole) + Math.exp(logGaussMass(b, c) - whole));
      expect(Math.abs(parts)).toBeLessThan(1e-12);
    }
  });

  it('the midpoint expansion of narrow intervals agrees with the exact mass', () => {
    const rng = rngFor(5, 0, Stream.sampler);
    let worst = 0;
    let expanded = 0;
    // Widths from 0.01 up, where the exact formula is itself accurate to ~1e-14.
    for (let i = 0; i < 20000; i++) {
      const width = 10 ** rng.uniform(-2, 0.5);
      const alpha = rng.uniform(-12, 12);
      const exact = logGaussMass(alpha, alpha + width);
      if (0.5 * width * (Math.abs(alpha + 0.5 * width) + 4.25) <= 1) expanded++;
      worst = Math.max(worst, Math.abs(logIntervalMass(alpha, alpha + width) - exact) / Math.max(1, Math.abs(exact)));
    }
    expect(expanded).toBeGreaterThan(5000);
    expect(worst).toBeLessThan(1e-12);
    // Very narrow: the mass tends to width × density at the midpoint.
    for (const alpha of [-8, -1, 0, 2.5, 9]) {
      const beta = alpha + 1e-9;
      const width = beta - alpha; // as represented
      const limit = Math.log(width) - 0.5 * (0.5 * (alpha + beta)) ** 2 - 0.5 * Math.log(2 * Math.PI);
      expect(Math.abs(logIntervalMass(alpha, beta) - limit)).toBeLessThan(1e-12);
    }
  });
});
