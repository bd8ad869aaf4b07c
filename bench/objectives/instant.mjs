// bench:distributed — an objective that returns at once: what is timed is the
// dispatch (queue, journal, sampler), not the trial.
export async function objective(p) {
  return p.x0 ** 2 + p.x1 ** 2 + p.x2 ** 2 + p.x3 ** 2 + p.x4 ** 2 + p.x5 ** 2;
}
