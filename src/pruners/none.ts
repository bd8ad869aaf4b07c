// The pruner that never prunes: every trial runs to its end.
import type { Direction } from '../space/spec.js';
import type { Pruner } from './pruner.js';

export class NopPruner implements Pruner {
  readonly type = 'none' as const;
  constructor(readonly direction: Direction) {}
  shouldPrune(): boolean {
    return false;
  }
}
