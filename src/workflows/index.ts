/** Every workflow the worker registers. */
export { sweepWorkflow } from './sweep.js';
export { verifyWorkflow, verifyRepairWorkflow } from './verify.js';
export { syncWorkflow } from './syncWorkflow.js';
