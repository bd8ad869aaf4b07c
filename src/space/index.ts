// Search spaces: distributions, the space-file format and its validation.
export * from './distributions.js';
export * from './spec.js';
export { loadSpaceFile, parseSpaceText } from './load.js';
export { validateStudySpec, gridSize, parseDuration } from './validate.js';
export { MLP_PARAMS, MLP_METRICS, MLP_DATASETS, MODEL_NAMES, FUNCTION_NAMES, type ModelName } from './objectives.js';
