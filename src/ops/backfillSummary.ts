/** The closing words of an attached backfill: what happened and, when something is wrong, what next. */
import type { SweepProgress } from '../progress.js';

export interface BackfillSummary {
  entity: string;
  ok: boolean;
  state: string;
  rows: number;
  failures: number;
  message: string;
  hint?: string;
}

export function summarizeBackfill(entity: string, p: SweepProgress | undefined): BackfillSummary {
  if (!p) return { entity, ok: false, state: 'unknown', rows: 0, failures: 0, message: `${entity}: no progress was seen`, hint: `Check with \`migrate status\`.` };
  const base = { entity, state: p.state, rows: p.done, failures: p.failures };
  if (p.state === 'failed') {
    return { ...base, ok: false, message: `${entity}: backfill failed: ${p.reason ?? 'no reason recorded'}`, hint: 'Fix the cause, then run `migrate backfill --entity ' + entity + ' --restart`.' };
  }
  if (p.state === 'paused') {
    return { ...base, ok: false, message: `${entity}: backfill paused: ${p.reason ?? 'flag off'}`, hint: `It resumes from its checkpoint with \`migrate backfill --entity ${entity} --resume\`.` };
  }
  if (p.failures > 0) {
    return {
      ...base,
      ok: false,
      message: `${entity}: backfill completed: ${p.done} rows, ${p.failures} refused by the service`,
      hint: `See them with \`migrate failures --entity ${entity}\`; once the service is fixed, \`migrate retry --entity ${entity} --all\`.`,
    };
  }
  return { ...base, ok: true, message: `${entity}: backfill completed: ${p.done} rows, no failures` };
}
