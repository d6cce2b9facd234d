/**
 * An OpenFeature server provider over the consumer's routing document, for applications that
 * already use OpenFeature: `client.getStringValue('orders.reads', 'legacy', { targetingKey })`
 * answers exactly what `consumer.readRoute(key)` answers (same document, same flagd-core
 * evaluation; `consumer` is filled in with the consumer's name). Each applied epoch emits
 * PROVIDER_CONFIGURATION_CHANGED.
 */
import type { EvaluationContext, JsonValue, Logger, ResolutionDetails } from '@openfeature/core';
import { OpenFeatureEventEmitter, ProviderEvents, type Provider } from '@openfeature/server-sdk';
import type { Consumer } from './consumer.js';

export interface TracerRoutingProvider extends Provider {
  readonly events: OpenFeatureEventEmitter;
}

export function createOpenFeatureProvider(consumer: Consumer): TracerRoutingProvider {
  const events = new OpenFeatureEventEmitter();
  let unsubscribe: (() => void) | undefined;
  const ctx = (context: EvaluationContext): EvaluationContext => ({ consumer: consumer.name, ...context });
  const notReady = <T>(defaultValue: T): ResolutionDetails<T> => ({ value: defaultValue, reason: 'ERROR', errorCode: 'PROVIDER_NOT_READY' as ResolutionDetails<T>['errorCode'], errorMessage: 'no routing document yet' });
  return {
    metadata: { name: 'tracer-routing' },
    runsOn: 'server',
    events,
    async initialize() {
      await consumer.ready();
      unsubscribe = consumer.onEpochApplied((epoch) => events.emit(ProviderEvents.ConfigurationChanged, { message: `routing epoch ${epoch}` }));
    },
    async onClose() {
      unsubscribe?.();
    },
    async resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext, logger: Logger) {
      const doc = consumer.document();
      return doc === undefined ? notReady(defaultValue) : doc.core.resolveBooleanEvaluation(flagKey, defaultValue, ctx(context), logger);
    },
    async resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext, logger: Logger) {
      const doc = consumer.document();
      return doc === undefined ? notReady(defaultValue) : doc.core.resolveStringEvaluation(flagKey, defaultValue, ctx(context), logger);
    },
    async resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext, logger: Logger) {
      const doc = consumer.document();
      return doc === undefined ? notReady(defaultValue) : doc.core.resolveNumberEvaluation(flagKey, defaultValue, ctx(context), logger);
    },
    async resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: EvaluationContext, logger: Logger) {
      const doc = consumer.document();
      return doc === undefined ? notReady(defaultValue) : doc.core.resolveObjectEvaluation<T>(flagKey, defaultValue, ctx(context), logger);
    },
  };
}
