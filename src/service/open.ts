/** The client for an entity's target, whichever profile the plan declares (batch protocol or plain REST). */
import { isRestTarget, type TargetEndpoints, type TargetServiceConfig } from '../plan/schema.js';
import { createTargetClient } from './client.js';
import type { Gate } from './gate.js';
import { createRestClient } from './rest.js';
import type { TargetClient } from './types.js';

export interface OpenTargetOptions {
  service: string;
  config: TargetServiceConfig;
  endpoints: TargetEndpoints;
  keyFields: string[];
  /** The service's shared request gate (REST targets; the batch protocol bounds per call). */
  gate?: Gate;
  fetch?: typeof fetch;
}

export function openTargetClient(opts: OpenTargetOptions): TargetClient {
  const { endpoints, gate, ...rest } = opts;
  if (isRestTarget(endpoints)) return createRestClient({ ...rest, target: endpoints, ...(gate ? { gate } : {}) });
  return createTargetClient({ ...rest, endpoints });
}
