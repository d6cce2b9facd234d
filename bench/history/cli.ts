/**
 * `npm run history:check -- <dir>… [options]`: checks recorded consumer histories against the
 * final source of truth, prints the verdict, writes the Jepsen export; exit 0 on PASS, 1 on FAIL,
 * 2 when it cannot check. `npm run history:check -- snapshot <dir> [truth options]` writes
 * `<dir>/initial.json` (the values before a run). See docs/history-checker.md.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDuration } from '../../src/plan/units.js';
import { formatReport, statusVersion } from './checker.js';
import { checkDirectories } from './run.js';
import { fileTruth, legacyOrdersTruth, serviceOrdersTruth, valuesJson, type TruthSource } from './truth.js';

const USAGE = `usage: npm run history:check -- <dir>… [--truth legacy|service|file] [--legacy-url URL] [--table orders]
         [--service-url URL] [--truth-file F] [--initial F] [--window 5s] [--version-field status]
         [--jepsen F | --no-jepsen] [--require-monotonic-reads] [--json]
       npm run history:check -- snapshot <dir> [--truth …]        (writes <dir>/initial.json)
URLs default to $LEGACY_DATABASE_URL and $FULFILLMENT_URL ($FULFILLMENT_TOKEN for the service).`;

class Usage extends Error {}

function truthFrom(v: Record<string, string | boolean | undefined>): TruthSource {
  const kind = (v.truth as string | undefined) ?? 'legacy';
  if (kind === 'legacy') {
    const url = (v['legacy-url'] as string | undefined) ?? process.env.LEGACY_DATABASE_URL;
    if (!url) throw new Usage('--truth legacy needs --legacy-url or $LEGACY_DATABASE_URL');
    return legacyOrdersTruth(url, (v.table as string | undefined) ?? 'orders');
  }
  if (kind === 'service') {
    const url = (v['service-url'] as string | undefined) ?? process.env.FULFILLMENT_URL;
    if (!url) throw new Usage('--truth service needs --service-url or $FULFILLMENT_URL');
    return serviceOrdersTruth(url, process.env.FULFILLMENT_TOKEN ? { token: process.env.FULFILLMENT_TOKEN } : {});
  }
  if (kind === 'file') {
    if (typeof v['truth-file'] !== 'string') throw new Usage('--truth file needs --truth-file');
    return fileTruth(v['truth-file']);
  }
  throw new Usage(`--truth ${kind}: legacy, service or file`);
}

async function main(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      truth: { type: 'string' },
      'legacy-url': { type: 'string' },
      table: { type: 'string' },
      'service-url': { type: 'string' },
      'truth-file': { type: 'string' },
      initial: { type: 'string' },
      window: { type: 'string' },
      'version-field': { type: 'string' },
      jepsen: { type: 'string' },
      'no-jepsen': { type: 'boolean' },
      json: { type: 'boolean' },
      'require-monotonic-reads': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals[0] === 'snapshot') {
    if (positionals.length !== 2) throw new Usage('snapshot takes one directory');
    const truth = truthFrom(v);
    try {
      if (truth.readAll === undefined) throw new Usage(`${truth.describe} cannot list all its values`);
      const file = join(positionals[1]!, 'initial.json');
      const values = await truth.readAll();
      writeFileSync(file, valuesJson(values));
      process.stdout.write(`wrote ${values.size} values from ${truth.describe} to ${file}\n`);
      return 0;
    } finally {
      await truth.close();
    }
  }
  if (positionals.length === 0) throw new Usage('name at least one history directory');
  const windowMs = parseDuration(v.window ?? '5s');
  if (windowMs === undefined) throw new Usage(`--window ${v.window}: a duration such as 500ms or 5s`);
  const truth = truthFrom(v);
  try {
    const result = await checkDirectories({
      dirs: positionals,
      truth,
      windowMs,
      versionOf: statusVersion(v['version-field'] ?? 'status'),
      ...(v.initial !== undefined ? { initialPath: v.initial } : {}),
      jepsenPath: v['no-jepsen'] ? false : (v.jepsen ?? undefined),
      requireMonotonicReads: v['require-monotonic-reads'] === true,
    });
    if (v.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      const h = result.history;
      process.stdout.write(
        `${h.files.length} history files, ${h.operations} operations (${h.incomplete} without a recorded completion, ${h.tornLines} torn lines); truth: ${result.truth}; initial values: ${result.initial ?? 'not given (any version-0 value is taken as initial)'}\n` +
          (h.skippedFiles.length > 0 ? `skipped (not histories): ${h.skippedFiles.join(', ')}\n` : '') +
          `${formatReport(result.report)}\n` +
          (result.jepsenPath !== undefined ? `jepsen history (elle-cli --model rw-register): ${result.jepsenPath}\n` : ''),
      );
    }
    return result.report.ok ? 0 : 1;
  } finally {
    await truth.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const usage = e instanceof Usage || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`history:check: ${(e as Error).message}\n${usage ? `${USAGE}\n` : ''}`);
    process.exit(2);
  },
);
