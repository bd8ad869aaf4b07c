// Whether the controller keeps jobs ready in the queue ahead of the workers.
//
// A worker that finishes a trial takes the next job in the same call to Redis
// (BullMQ's moveToFinished fetches it) when one is waiting; otherwise it waits
// for the controller to read the result, ask the sampler and add a job: a few
// milliseconds, which is most of a short trial's cost. Jobs added ahead are
// suggested knowing fewer results, though, so they are kept only while the
// trials are short: the median of the latest runs below a threshold. A study
// of hour-long trials never gets a job ahead.

/** Keeps jobs ahead while the median run of the latest `window` trials is below `belowMs`. */
export class PrefetchPolicy {
  private readonly runs: number[] = [];
  private on = false;

  constructor(
    private readonly belowMs = 250,
    private readonly window = 16,
  ) {}

  /** Whether jobs are kept ahead now. */
  get active(): boolean {
    return this.on;
  }

  /** Records how long a trial ran on its worker; true when that switched the policy on or off. */
  note(ranMs: number): boolean {
    this.runs.push(ranMs);
    if (this.runs.length > this.window) this.runs.shift();
    // Half a window at least: the first few trials (pool warm-up, imports) say little.
    const sorted = [...this.runs].sort((a, b) => a - b);
    const on = sorted.length >= this.window / 2 && sorted[Math.floor(sorted.length / 2)]! < this.belowMs;
    const changed = on !== this.on;
    this.on = on;
    return changed;
  }
}
