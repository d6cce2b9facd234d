/** Every workflow the worker registers. */
export { sweepWorkflow } from './sweep.js';
