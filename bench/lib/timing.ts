// Repeated-measurement timing for short calls, the same method as
// bench/openblas_sgemm.c so the two sides are comparable: warm up, size an
// inner loop so one sample lasts ~2 ms (timer resolution and per-call overhead
// of tiny shapes then do not dominate), take many samples, keep best and median.

export interface TimingOptions {
  /** Seconds of warm-up before measuring (also used to size the inner loop). */
  warmupS: number;
  /** Target length of one sample in seconds. */
  sampleS: number;
  samples: number;
}

export interface Timing {
  /** Best and median seconds per call. */
  bestS: number;
  medianS: number;
  inner: number;
  samples: number;
}

export function nowS(): number {
  return Number(process.hrtime.bigint()) * 1e-9;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export function timeCall(fn: () => void, o: TimingOptions): Timing {
  let calls = 0;
  const t0 = nowS();
  let t = t0;
  do {
    fn();
    calls++;
    t = nowS();
  } while (t - t0 < o.warmupS || calls < 3);
  const inner = Math.max(1, Math.floor(o.sampleS / ((t - t0) / calls)));
  const times: number[] = [];
  for (let k = 0; k < o.samples; k++) {
    const a = nowS();
    for (let r = 0; r < inner; r++) fn();
    times.push((nowS() - a) / inner);
  }
  return { bestS: Math.min(...times), medianS: median(times), inner, samples: o.samples };
}
