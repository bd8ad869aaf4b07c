// The homework's finite-difference gradient check: for the first few weights
// of the first row of W2 (W2 is stored [h1 x h2], so row 0 holds the weights
// leaving hidden unit 0 of layer 1), on the first training sample, compare the
// analytic gradient of  L(θ) = cross-entropy + λ·Σ_j ‖W_j‖²  from backprop with
// central differences (L(θ+ε) − L(θ−ε)) / 2ε for ε = 1/N.
//
// The denominator is the step actually taken, (θ+ε) − (θ−ε) after rounding to
// the model's dtype, so that float32 checks are not dominated by the rounding
// of θ±ε itself. In float64 it equals 2ε to within an ulp.
import type { DeviceName, DTypeName, MlpParamArrays } from '../../engine/addon-types.js';
import type { DatasetSplits } from '../../data/index.js';
import { Errors } from '../../errors.js';
import type { MlpParams } from './params.js';
import { createMlpModel, nativeSplit, trainMlp, type EpochMetrics, type MlpTrialResult } from './run.js';

export const GRADCHECK_NS: readonly number[] = [100, 200, 1000, 10_000, 100_000];
export const GRADCHECK_WEIGHTS = 10;
export const GRADCHECK_ROW = 0;

export interface GradcheckPoint {
  N: number;
  epsilon: number;
  max_abs_diff: number;
  /** The numerical derivatives, one per checked weight. */
  numeric: number[];
}

export interface GradcheckResult {
  results: GradcheckPoint[];
  /** Analytic ∂L/∂W2[0][i] for the checked weights. */
  analytic: number[];
  /** Objective at the unperturbed weights. */
  loss: number;
  weights: string;
  sample: number;
  dtype: DTypeName;
  params: MlpParams;
  trained_epochs: number;
  /** The training run before the check (when trained_epochs > 0). */
  training: Pick<MlpTrialResult, 'state' | 'epochs' | 'device' | 'durations'> | null;
}

export interface GradcheckOptions {
  dataset: DatasetSplits;
  dtype: DTypeName;
  /** Train this many epochs (float32, on `device`) first, then check those weights. */
  fromTrainedEpochs: number;
  device: DeviceName;
  threads: number;
  onTrainEpoch?: (metrics: EpochMetrics, params: MlpParams) => void;
  /** Check these weights (e.g. a study trial's saved ones) instead of the initial or trained ones. */
  weights?: MlpParamArrays;
}

function toDtype(dtype: DTypeName, params: MlpParamArrays): MlpParamArrays {
  const Ctor = dtype === 'float64' ? Float64Array : Float32Array;
  return {
    W1: Ctor.from(params.W1),
    b1: Ctor.from(params.b1),
    W2: Ctor.from(params.W2),
    b2: Ctor.from(params.b2),
    W3: Ctor.from(params.W3),
    b3: Ctor.from(params.b3),
  };
}

export async function runGradcheck(params: MlpParams, options: GradcheckOptions): Promise<GradcheckResult> {
  const { dataset, dtype } = options;
  // The check itself runs on the cpu: float64 exists only there, and one
  // sample's forward pass costs nothing.
  const model = createMlpModel(params, { dataset, device: 'cpu', threads: options.threads, dtype });
  let training: GradcheckResult['training'] = null;
  if (options.weights) {
    model.setParams(toDtype(dtype, options.weights));
  } else if (options.fromTrainedEpochs > 0) {
    const trained = await trainMlp(
      { ...params, epochs: options.fromTrainedEpochs },
      {
        dataset,
        device: options.device,
        threads: options.threads,
        dtype: 'float32',
        ...(options.onTrainEpoch ? { onEpoch: options.onTrainEpoch } : {}),
      },
    );
    const r = trained.result;
    if (r.state !== 'complete') throw Errors.trainingFailed('gradcheck --from-trained-epochs', r.reason ?? r.state);
    training = { state: r.state, epochs: r.epochs, device: r.device, durations: r.durations };
    model.setParams(toDtype(dtype, trained.model.getParams()));
  }

  const data = nativeSplit(dataset.train);
  const row = GRADCHECK_ROW;
  const count = Math.min(GRADCHECK_WEIGHTS, params.h2);
  const base = model.getParams();
  const at = model.sampleObjective(data, row, params.lambda, true);
  if (!at.gradient) throw new Error('sampleObjective returned no gradient');
  const analytic = Array.from(at.gradient.W2.subarray(0, count));
  const round = dtype === 'float32' ? Math.fround : (v: number) => v;

  const lossWithW2 = (W2: MlpParamArrays['W2']) => {
    model.setParams({ ...base, W2 });
    return model.sampleObjective(data, row, params.lambda, false).loss;
  };

  const results: GradcheckPoint[] = [];
  try {
    for (const N of GRADCHECK_NS) {
      const epsilon = 1 / N;
      const numeric: number[] = [];
      let maxAbsDiff = 0;
      for (let i = 0; i < count; i++) {
        const theta = base.W2[i]!;
        const up = round(theta + epsilon);
        const down = round(theta - epsilon);
        const W2 = base.W2.slice();
        W2[i] = up;
        const lossUp = lossWithW2(W2);
        W2[i] = down;
        const lossDown = lossWithW2(W2);
        const derivative = (lossUp - lossDown) / (up - down);
        numeric.push(derivative);
        maxAbsDiff = Math.max(maxAbsDiff, Math.abs(derivative - analytic[i]!));
      }
      results.push({ N, epsilon, max_abs_diff: maxAbsDiff, numeric });
    }
  } finally {
    model.setParams(base);
  }
  return {
    results,
    analytic,
    loss: at.loss,
    weights: `W2[0][0..${count - 1}]`,
    sample: row,
    dtype,
    params,
    trained_epochs: options.fromTrainedEpochs,
    training,
  };
}
