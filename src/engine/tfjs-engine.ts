// Which TensorFlow.js backend trains the CNN trials (issue 6):
//   tfjs-node-gpu  libtensorflow with CUDA (optional dependency)
//   tfjs-node      libtensorflow on the CPU (optional dependency)
//   native         the pure-JS cpu backend with its heavy kernels replaced by
//                  our addon's (src/engine/tfjs/)
// `auto` takes the first that loads, in that order. The two tfjs-node
// packages download libtensorflow when installed, which fails where that host
// is unreachable (this machine, CI): they are optional, and `npm ci` succeeds
// without them.
//
// Backends and kernel registries are per thread: every worker thread that
// trains a CNN calls `startTfjsEngine` itself.
import * as tf from '@tensorflow/tfjs';

import { Errors } from '../errors.js';
import type { EngineName, EngineRequest } from './engine-request.js';
import { installNativeKernels, setNativeKernelThreads } from './tfjs/index.js';


export interface TfjsEngine {
  engine: EngineName;
  /** tfjs's name of the backend in use: 'tensorflow' or 'cpu'. */
  backend: string;
  /** Kernels our addon serves (native engine only). */
  replacedKernels: readonly string[];
  threads: number;
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
  const order: EngineName[] = request === 'auto' ? ['tfjs-node-gpu', 'tfjs-node', 'native'] : [request];
  const failures: string[] = [];
  for (const engine of order) {
    try {
      started = await start(engine, threads);
      return started;
    } catch (err) {
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
    return { engine, backend: 'cpu', replacedKernels: replaced, threads };
  }
  // Importing the package registers its 'tensorflow' backend with the tfjs we use.
  await import(`@tensorflow/${engine}`);
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`the ${engine} backend did not initialise`);
  return { engine, backend: 'tensorflow', replacedKernels: [], threads };
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.trim();
}
