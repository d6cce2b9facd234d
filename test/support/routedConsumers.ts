/**
 * Sample consumer apps routed by a running cutover, the way an operator runs them: `migrate flags
 * serve` serves the routing the cutover publishes, `migrate consumer ingest` takes the apps'
 * reports, `migrate consumer rules` writes their rules, and one app per consumer name
 * (test/support/ordersConsumers.ts) reads its routing from the server and reports to the ingest.
 */
import path from 'node:path';
import { startOrdersConsumers, type OrdersConsumer } from './ordersConsumers.js';
import { BIN, runMigrate, startReadyProcess, stopProcess, type ReadyProcess } from './processes.js';

export interface RoutedConsumers {
  apps: OrdersConsumer[];
  serve: ReadyProcess;
  ingest: ReadyProcess;
  /** Stops the apps first (SIGTERM: each flushes its report and history), then serve and ingest. */
  stop(): Promise<void>;
}

export async function startRoutedConsumers(
  planFile: string,
  env: NodeJS.ProcessEnv,
  o: { names: readonly string[]; legacyUrl: string; serviceUrl: string; historyDir?: string; appEnv?: NodeJS.ProcessEnv },
): Promise<RoutedConsumers> {
  const dir = path.dirname(planFile);
  const serve = await startReadyProcess([BIN, '--plan', planFile, 'flags', 'serve', '--port', '0'], env, /at (http:\/\/[^/\s]+)\/routing\/<entity>/);
  const ingest = await startReadyProcess([BIN, '--plan', planFile, 'consumer', 'ingest', '--port', '0'], env, /at (http:\/\/[^\s]+)\/v1\/consumer-reports/);
  const rulesFile = path.join(dir, 'orders.rules.json');
  const rules = await runMigrate(['--plan', planFile, 'consumer', 'rules', '--entity', 'orders', '--out', rulesFile], env);
  if (rules.code !== 0) throw new Error(`migrate consumer rules failed: ${rules.stderr}`);
  const apps = await startOrdersConsumers(o.names, {
    legacyUrl: o.legacyUrl,
    serviceUrl: o.serviceUrl,
    routing: `${serve.match[1]}/routing/orders`,
    reportUrl: `${ingest.match[1]}/v1/consumer-reports`,
    rulesFile,
    dir,
    ...(o.historyDir !== undefined ? { historyDir: o.historyDir } : {}),
    ...(o.appEnv !== undefined ? { env: o.appEnv } : {}),
  });
  return {
    apps,
    serve,
    ingest,
    async stop() {
      for (const a of apps) await stopProcess(a);
      await stopProcess(serve);
      await stopProcess(ingest);
    },
  };
}
