// Dropout whose masks come from the trial's seed. tfjs's own Dropout layer
// either draws from Math.random (no seed: runs cannot be repeated) or, given
// a seed, draws the same mask at every step (it reseeds each call). This layer
// draws a fresh mask per training call from a counter-keyed generator:
// mask k of a trial is a pure function of (seed, k), so a re-run of the trial
// sees the same masks in the same order.
import * as tf from '@tensorflow/tfjs';

import { Rng } from '../../samplers/rng.js';

export interface SeededDropoutArgs {
  rate: number;
  seed: number;
  name?: string;
}

export class SeededDropout extends tf.layers.Layer {
  static readonly className = 'HypersweepSeededDropout';
  private readonly rate: number;
  private readonly seed: number;
  /** Training calls so far: the key of the next mask. */
  private calls = 0;

  constructor(args: SeededDropoutArgs) {
    super(args.name === undefined ? {} : { name: args.name });
    this.rate = args.rate;
    this.seed = args.seed;
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (kwargs['training'] !== true || this.rate === 0) return tf.clone(x);
    const rng = new Rng(this.seed, this.calls++, 0x64726f70 /* "drop" */);
    const keep = 1 - this.rate;
    const mask = new Float32Array(x.size);
    const scale = 1 / keep; // inverted dropout: expectations unchanged, nothing to do at inference
    for (let i = 0; i < mask.length; i++) mask[i] = rng.nextFloat() < keep ? scale : 0;
    return tf.tidy(() => tf.mul(x, tf.tensor(mask, x.shape, 'float32')));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config);
  }
}

tf.serialization.registerClass(SeededDropout);
