// The --engine choice of CNN trials, kept apart from tfjs-engine.ts so that
// reading it does not load TensorFlow.js (see tfjs-engine.ts for what each is).
import { Errors } from '../errors.js';
import { checkCudaEngine } from './device.js';

export const ENGINE_REQUESTS = ['auto', 'cuda', 'tfjs-node-gpu', 'tfjs-node', 'native'] as const;
export type EngineRequest = (typeof ENGINE_REQUESTS)[number];
export type EngineName = Exclude<EngineRequest, 'auto'>;

export function parseEngineRequest(value: string): EngineRequest {
  if ((ENGINE_REQUESTS as readonly string[]).includes(value)) return value as EngineRequest;
  throw Errors.unknownEngine(value, ENGINE_REQUESTS);
}

/**
 * What an explicit --engine needs of this machine, checked before any trial
 * starts: `cuda` without a GPU (or without a CUDA build) is one clear error
 * here rather than a failed trial per worker. Loads the addon for cuda only.
 */
export function checkEngineRequest(request: EngineRequest): EngineRequest {
  if (request === 'cuda') checkCudaEngine();
  return request;
}
