// bench:distributed — times ctx.report() + ctx.shouldPrune() in the trial's
// thread: the round trip of a report to the controller and of its pruning
// decision back, through Redis for a queued trial. The durations (ms) are
// returned in the trial's metrics.
import { performance } from 'node:perf_hooks';

const steps = Number(process.env.RTT_STEPS ?? '100');
export async function objective(p, ctx) {
  const rtt = [];
  let value = 0;
  for (let step = 1; step <= steps; step++) {
    value = (p.x0 - 0.3) ** 2 + 1 / step;
    const t0 = performance.now();
    ctx.report(step, value);
    const prune = ctx.shouldPrune();
    rtt.push(performance.now() - t0);
    if (prune) break;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return { value, metrics: { rtt_ms: rtt } };
}
