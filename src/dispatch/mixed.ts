// A sweep that runs trials both here (the local pool's slots come first) and
// on remote workers through the queue (every slot above them).
import type { TrialResult } from './protocol.js';
import type { TrialControl, TrialExecutor, TrialPool, TrialTicket } from './pool.js';
import type { QueueExecutor } from './queue/queue-executor.js';

export class MixedExecutor implements TrialExecutor {
  constructor(
    private readonly local: TrialPool,
    private readonly localSlots: number,
    private readonly remote: QueueExecutor,
  ) {}

  capacity(): number {
    return this.localSlots + this.remote.capacity();
  }

  capacityChanged(): Promise<void> {
    return this.remote.capacityChanged();
  }

  label(slot: number): string {
    return slot < this.localSlots ? `w${slot}` : this.remote.label();
  }

  runTrial(trial: TrialTicket, control: TrialControl, hardStop: AbortSignal): Promise<TrialResult> {
    return trial.slot < this.localSlots ? this.local.runTrial(trial, control, hardStop) : this.remote.runTrial(trial, control, hardStop);
  }

  adopt(trial: TrialTicket, control: TrialControl, hardStop: AbortSignal): Promise<TrialResult> | null {
    return this.remote.adopt(trial, control, hardStop);
  }
}
