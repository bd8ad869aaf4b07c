// The eight GEMMs of one training step of the 784-400-700-10 MLP, in the same
// order and with the same names as bench/openblas_sgemm.c (keep them in step).
// Weights are row-major [fan_in x fan_out] (native/core/mlp.h), so for a layer
// in -> out with activations A (B x in) and output gradient dZ (B x out):
//   forward      Z  = A  . W    NN  M=B  N=out K=in
//   weight grad  dW = A' . dZ   TN  M=in N=out K=B
//   input grad   dA = dZ . W'   NT  M=B  N=in  K=out   (none for layer 1)

export const LAYERS: readonly (readonly [number, number])[] = [
  [784, 400],
  [400, 700],
  [700, 10],
];
export const BATCHES: readonly number[] = [32, 64, 128];

export interface GemmShape {
  /** fwd1..3, dW1..3, dA1..2 (dAl = gradient w.r.t. layer l's activation). */
  name: string;
  B: number;
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
}

export function stepShapes(B: number): GemmShape[] {
  const shapes: GemmShape[] = [];
  LAYERS.forEach(([inp, out], l) => shapes.push({ name: `fwd${l + 1}`, B, transA: false, transB: false, M: B, N: out, K: inp }));
  LAYERS.forEach(([inp, out], l) => shapes.push({ name: `dW${l + 1}`, B, transA: true, transB: false, M: inp, N: out, K: B }));
  LAYERS.forEach(([inp, out], l) => {
    if (l > 0) shapes.push({ name: `dA${l}`, B, transA: false, transB: true, M: B, N: inp, K: out });
  });
  return shapes;
}

export function gemmFlop(s: Pick<GemmShape, 'M' | 'N' | 'K'>): number {
  return 2 * s.M * s.N * s.K;
}

/** Floating-point work of one training step per sample (the eight GEMMs; elementwise work ignored). */
export const FLOP_PER_SAMPLE = stepShapes(1).reduce((sum, s) => sum + gemmFlop(s), 0);

/** 'NN', 'TN' or 'NT': how op(A) and op(B) are read. */
export function opLabel(s: Pick<GemmShape, 'transA' | 'transB'>): string {
  return `${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}`;
}
