// The --engine choice of CNN trials, kept apart from tfjs-engine.ts so that
// reading it does not load TensorFlow.js (see tfjs-engine.ts for what each is).
import { Errors } from '../errors.js';

export const ENGINE_REQUESTS = ['auto', 'tfjs-node-gpu', 'tfjs-node', 'native'] as const;
export type EngineRequest = (typeof ENGINE_REQUESTS)[number];
export type EngineName = Exclude<EngineRequest, 'auto'>;

export function parseEngineRequest(value: string): EngineRequest {
  if ((ENGINE_REQUESTS as readonly string[]).includes(value)) return value as EngineRequest;
  throw Errors.unknownEngine(value, ENGINE_REQUESTS);
}
