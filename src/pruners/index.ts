// Pruners: whether a running trial should stop early, from its intermediate values.
export { AshaPruner, DEFAULT_ASHA_OPTIONS, isPromotable, type AshaPrunerOptions } from './asha.js';
export { createPruner, defaultPrunerSpec, isPrunerType } from './create.js';
export { DEFAULT_MEDIAN_OPTIONS, MedianPruner, nanPercentile, type MedianPrunerOptions } from './median.js';
export { NopPruner } from './none.js';
export { PRUNER_TYPES, type Pruner, type PrunerReport, type PrunerTrial, type PrunerType } from './pruner.js';
