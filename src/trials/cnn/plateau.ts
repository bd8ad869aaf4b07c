// Reduce the learning rate when the validation loss stops improving (Keras's
// ReduceLROnPlateau with min_delta 0, cooldown 0, min_lr 0): after `patience`
// epochs in a row without a new best val_loss, lr ← lr·factor and the count
// starts again. factor = 1 turns it off.
export class PlateauSchedule {
  private best = Infinity;
  private wait = 0;

  constructor(
    private lr: number,
    private readonly factor: number,
    private readonly patience: number,
  ) {}

  get learningRate(): number {
    return this.lr;
  }

  /** Feeds one epoch's val_loss; returns the learning rate for the next epoch. */
  update(valLoss: number): number {
    if (valLoss < this.best) {
      this.best = valLoss;
      this.wait = 0;
      return this.lr;
    }
    this.wait++;
    if (this.factor < 1 && this.wait >= this.patience) {
      this.lr *= this.factor;
      this.wait = 0;
    }
    return this.lr;
  }
}
