// bench:distributed — a trial that takes SLEEP_MS (default 1000) doing nothing:
// many of them in flight load the controller, not the CPUs.
const ms = Number(process.env.SLEEP_MS ?? '1000');
export async function objective(p) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return p.x0 ** 2 + p.x1 ** 2;
}
