/** Every workflow the worker registers. */
export { sweepWorkflow } from './sweepWorkflow.js';
export { verifyWorkflow, verifyRepairWorkflow } from './verifyWorkflow.js';
export { syncWorkflow } from './syncWorkflow.js';
export { cutoverWorkflow } from './cutoverWorkflow.js';
export { writeSwitchWorkflow } from './writeSwitchWorkflow.js';
export { reverseSyncWorkflow } from './reverseSyncWorkflow.js';
export { lifecycleWorkflow } from './lifecycleWorkflow.js';
