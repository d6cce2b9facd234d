/**
 * Where Temporal is: the plan's `temporal:` block, then Temporal's standard environment and config
 * file (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS, API key — read by @temporalio/envconfig), and when
 * nothing is configured, a local dev server that Tracer starts itself (see local.ts).
 */
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { Plan } from '../plan/schema.js';
import { UserError } from '../errors.js';
import { secrets } from '../secrets.js';

export interface TemporalSettings {
  /** host:port; absent when nothing is configured and the local dev server should be used. */
  address?: string;
  namespace: string;
  taskQueue: string;
  tls?: unknown;
  apiKey?: string;
  metadata?: Record<string, string>;
  /** Base URL of the web UI, for links. */
  uiUrl?: string;
}

/** Resolves settings without connecting; never throws for a missing server, only for bad config. */
export function resolveTemporalSettings(plan: Plan, env: NodeJS.ProcessEnv): TemporalSettings {
  let connect;
  try {
    const overrides = Object.fromEntries(Object.entries(env).filter((kv): kv is [string, string] => kv[1] !== undefined));
    connect = loadClientConnectConfig({ overrideEnvVars: overrides });
  } catch (e) {
    throw new UserError(`Temporal client configuration is invalid: ${secrets.redact((e as Error).message)}`, {
      hint: 'Check TEMPORAL_* environment variables and the Temporal config file (TEMPORAL_CONFIG_FILE).',
    });
  }
  const opts = connect.connectionOptions;
  if (typeof opts.apiKey === 'string') secrets.add(opts.apiKey);
  return {
    address: plan.temporal.address ?? opts.address,
    namespace: plan.temporal.namespace ?? connect.namespace ?? 'default',
    taskQueue: plan.temporal.taskQueue,
    tls: opts.tls ?? undefined,
    apiKey: typeof opts.apiKey === 'string' ? opts.apiKey : undefined,
    metadata: opts.metadata as Record<string, string> | undefined,
    uiUrl: plan.temporal.uiUrl ?? env.TEMPORAL_UI_URL,
  };
}

/** Link to a workflow in Temporal's web UI. */
export function workflowUrl(settings: TemporalSettings, workflowId: string): string | undefined {
  if (!settings.uiUrl) return undefined;
  return `${settings.uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(settings.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
