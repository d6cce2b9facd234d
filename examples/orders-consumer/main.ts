/**
 * Run the sample consumer as a process (the lifecycle tests start three of them):
 *   npx tsx examples/orders-consumer/main.ts
 * Configuration from the environment: LEGACY_DATABASE_URL (postgres:// or mysql://), FULFILLMENT_URL, FULFILLMENT_TOKEN
 * (optional), CONSUMER_NAME, ROUTING (URL or file), REPORT_URL, RULES_FILE (from
 * `migrate consumer rules --entity orders --out …`), FAILURE_LOG, PORT (default: a free port),
 * POLL_MS, REPORT_EVERY_MS, TRACER_HISTORY_DIR (optional: record every read and write there as
 * `<name>-<pid>.jsonl` for `npm run history:check`, docs/history-checker.md). Prints
 * `orders consumer <name> listening on <url>` once it serves.
 */
import { readFileSync } from 'node:fs';
import { parseRuleSet } from '../../src/consumer/index.js';
import { startOrdersApp } from './app.js';

function need(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') {
    process.stderr.write(`orders-consumer: set ${name}\n`);
    process.exit(2);
  }
  return v;
}
const num = (name: string): number | undefined => (process.env[name] ? Number(process.env[name]) : undefined);

const rulesFile = need('RULES_FILE');
// The recorder is a test/bench tool, not part of the package: loaded only when asked for.
const historyDir = process.env.TRACER_HISTORY_DIR;
const history = historyDir
  ? (await import('../../bench/history/recorder.js')).openHistoryRecorder({ dir: historyDir, process: `${need('CONSUMER_NAME')}-${process.pid}` })
  : undefined;
const app = await startOrdersApp({
  legacyUrl: need('LEGACY_DATABASE_URL'),
  serviceUrl: need('FULFILLMENT_URL'),
  ...(process.env.FULFILLMENT_TOKEN ? { serviceToken: process.env.FULFILLMENT_TOKEN } : {}),
  consumer: need('CONSUMER_NAME'),
  routing: need('ROUTING'),
  reportUrl: need('REPORT_URL'),
  rules: parseRuleSet(JSON.parse(readFileSync(rulesFile, 'utf8')), rulesFile),
  failureLog: need('FAILURE_LOG'),
  ...(num('PORT') !== undefined ? { port: num('PORT')! } : {}),
  ...(num('POLL_MS') !== undefined ? { pollMs: num('POLL_MS')! } : {}),
  ...(num('REPORT_EVERY_MS') !== undefined ? { reportEveryMs: num('REPORT_EVERY_MS')! } : {}),
  shadow: { recheckDelayMs: num('RECHECK_MS') ?? 200 },
  ...(history !== undefined ? { history } : {}),
});
process.stdout.write(`orders consumer ${app.consumer.name} listening on ${app.url}\n`);
const stop = (): void => {
  void app.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
