// A run of a study's controller to its budget, journalled between
// controller_started and controller_stopped: `hypersweep sweep` / `resume` and
// study.optimize() both run a study through here. The dispatcher (pool,
// queue, TensorFlow.js for CNN objectives) loads only when a run starts.
import type { StudyRunOptions } from '../dispatch/run-study.js';
import type { Study } from '../study/study.js';
import type { StopReason } from './types.js';

export type { StudyRunOptions };

export async function runController(study: Study, options: StudyRunOptions): Promise<StopReason> {
  study.controllerEvent('controller_started', {
    budget: { trials: options.budget, time_s: options.timeSeconds },
    ...(options.queue ? { queue: options.queue.address.shown } : {}),
  });
  const { runStudy } = await import('../dispatch/run-study.js');
  const reason = await runStudy(study, options);
  study.controllerEvent('controller_stopped', { reason });
  return reason;
}
