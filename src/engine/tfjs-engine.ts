// Which TensorFlow.js backend trains the CNN trials (issues 6, 15):
//   cuda           our addon's CUDA kernels, tensors in GPU memory
//                  (src/engine/cuda/); needs an nvcc build and a GPU
//   tfjs-node-gpu  libtensorflow with CUDA (optional dependency)
//   tfjs-node      libtensorflow on the CPU (optional dependency)
//   native         the pure-JS cpu backend with its heavy kernels replaced by
//                  our addon's (src/engine/tfjs/)
// `auto` takes the first that loads, in that order (cuda only where a GPU is visible). The two tfjs-node
// packages download libtensorflow when installed, which fails where that host
// is unreachable (this machine, CI): they are optional, and `npm ci` succeeds
// without them.
//
// Backends and kernel registries are per thread: every worker thread that
// trains a CNN calls `startTfjsEngine` itself.
import * as tf from '@tensorflow/tfjs';

import { Errors, HypersweepError } from '../errors.js';
import { checkCudaEngine } from './device.js';
import type { EngineName, EngineRequest } from './engine-request.js';
import { addon } from './native.js';
import { installNativeKernels, setNativeKernelThreads } from './tfjs/index.js';


export interface TfjsEngine {
  engine: EngineName;
  /** tfjs's name of the backend in use: 'cuda', 'tensorflow' or 'cpu'. */
  backend: string;
  /** Kernels our addon serves (native and cuda engines). */
  replacedKernels: readonly string[];
  threads: number;
  /** The GPU it trains on (cuda engine), e.g. "NVIDIA H200"; null otherwise. */
  gpu: string | null;
}

let started: TfjsEngine | null = null;

/** The engine this thread trains with; the first call picks and starts it, later ones must agree. */
export async function startTfjsEngine(request: EngineRequest, threads: number): Promise<TfjsEngine> {
  if (started && (request === 'auto' || request === started.engine)) {
    if (started.engine === 'native' && started.threads !== threads) {
      setNativeKernelThreads(threads);
      started = { ...started, threads };
    }
    return started;
  }
  if (started) throw Errors.engineUnavailable(request, `this process already trains with ${started.engine}`);
  const order: EngineName[] = request === 'auto' ? ['cuda', 'tfjs-node-gpu', 'tfjs-node', 'native'] : [request];
  const failures: string[] = [];
  for (const engine of order) {
    try {
      started = await start(engine, threads);
      return started;
    } catch (err) {
      // Asked for by name, cuda's own error (no GPU, no CUDA build) is the clear one.
      if (request === 'cuda' && err instanceof HypersweepError) throw err;
      failures.push(`${engine}: ${firstLine(err)}`);
    }
  }
  throw Errors.engineUnavailable(request, failures.join('; '));
}

async function start(engine: EngineName, threads: number): Promise<TfjsEngine> {
  tf.enableProdMode(); // no per-op NaN checks, and no "install tfjs-node" banner
  if (engine === 'native') {
    if (!(await tf.setBackend('cpu'))) throw new Error('the tfjs cpu backend did not initialise');
    const { replaced } = installNativeKernels({ threads });
    return { engine, backend: 'cpu', replacedKernels: replaced, threads, gpu: null };
  }
  if (engine === 'cuda') {
    const info = checkCudaEngine();
    const { CUDA_BACKEND_NAME, registerCudaBackend } = await import('./cuda/index.js');
    const { deviceKernels } = registerCudaBackend(addon());
    if (!(await tf.setBackend(CUDA_BACKEND_NAME))) throw Errors.cudaEngineUnavailable('the cuda backend did not initialise');
    return { engine, backend: CUDA_BACKEND_NAME, replacedKernels: deviceKernels, threads, gpu: info.deviceName };
  }
  // Importing the package registers its 'tensorflow' backend with the tfjs we use.
  await import(`@tensorflow/${engine}`);
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`the ${engine} backend did not initialise`);
  return { engine, backend: 'tensorflow', replacedKernels: [], threads, gpu: null };
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.trim();
}
