/** Client connections to Temporal with errors an operator can act on. */
import { Client, Connection } from '@temporalio/client';
import { EnvironmentError } from '../errors.js';
import { secrets } from '../secrets.js';
import type { TemporalSettings } from './settings.js';
import { ensureLocalServer, runningLocalServer } from './local.js';

export interface ConnectedTemporal {
  client: Client;
  connection: Connection;
  settings: TemporalSettings & { address: string };
  /** Set when this call started the local dev server. */
  startedLocal?: { address: string; uiUrl: string; dbFile: string; logFile: string };
  local: boolean;
  close(): Promise<void>;
}

/**
 * Fills in the local dev server when nothing is configured, starting it when `startLocal` (the
 * default); read-only commands pass false and get an EnvironmentError instead of a new server.
 */
export async function withAddress(settings: TemporalSettings, env: NodeJS.ProcessEnv, cwd: string, startLocal = true) {
  if (settings.address) return { settings: { ...settings, address: settings.address }, local: false, startedLocal: undefined };
  const local = startLocal ? await ensureLocalServer(env, cwd) : await runningLocalServer(env, cwd);
  if (!local) {
    throw new EnvironmentError('no Temporal server is configured and no local one is running', {
      hint: 'Set TEMPORAL_ADDRESS (or temporal.address in the plan), or start work with `migrate backfill`, which starts a local dev server.',
    });
  }
  return {
    settings: { ...settings, address: local.address, uiUrl: settings.uiUrl ?? local.uiUrl },
    local: true,
    startedLocal: local.started ? local : undefined,
  };
}

export async function connectClient(base: TemporalSettings, env: NodeJS.ProcessEnv, cwd: string, startLocal = true): Promise<ConnectedTemporal> {
  const { settings, local, startedLocal } = await withAddress(base, env, cwd, startLocal);
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address: settings.address,
      tls: settings.tls as never,
      apiKey: settings.apiKey,
      metadata: settings.metadata,
      connectTimeout: '10s',
    });
  } catch (e) {
    throw new EnvironmentError(`cannot reach Temporal at ${settings.address}: ${secrets.redact((e as Error).message)}`, {
      hint: 'Check TEMPORAL_ADDRESS (or temporal.address in the plan) and that the server is up; unset both to use a local dev server.',
    });
  }
  const client = new Client({ connection, namespace: settings.namespace });
  return { client, connection, settings, local, startedLocal, close: () => connection.close() };
}
