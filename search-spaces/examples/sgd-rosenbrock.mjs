// Example module objective for hypersweep (see sgd-rosenbrock.yaml).
//
// hypersweep imports this file and calls `objective(params, ctx)` once per
// trial. It returns a number, or {value, metrics}. While it runs it may call
//   ctx.report(step, value)  — an intermediate value (pruners compare these);
//   ctx.shouldPrune()        — true (or a promise of true) when the pruner wants
//                              the trial stopped; stop then and return the
//                              current value: the trial is recorded as pruned.
// Throwing makes the trial `failed`, with the error's message recorded.

/** Rosenbrock's function and its gradient at (x, y). */
function rosenbrock(x, y) {
  const a = 1 - x;
  const b = y - x * x;
  return {
    value: a * a + 100 * b * b,
    dx: -2 * a - 400 * x * b,
    dy: 200 * b,
  };
}

/**
 * Gradient descent with momentum from (-1.5, 2); the result is the function
 * value after `steps` steps (the minimum is 0 at (1, 1)).
 */
export async function objective(params, ctx) {
  const { lr, momentum, steps } = params;
  let x = -1.5;
  let y = 2;
  let vx = 0;
  let vy = 0;
  let f = rosenbrock(x, y);
  for (let step = 1; step <= steps; step++) {
    vx = momentum * vx - lr * f.dx;
    vy = momentum * vy - lr * f.dy;
    x += vx;
    y += vy;
    f = rosenbrock(x, y);
    if (!Number.isFinite(f.value)) throw new Error(`diverged at step ${step} (lr ${lr} too large)`);
    if (step % 50 === 0) {
      ctx.report(step, f.value);
      if (await ctx.shouldPrune()) break;
    }
  }
  return { value: f.value, metrics: { x, y, distance: Math.hypot(x - 1, y - 1) } };
}
