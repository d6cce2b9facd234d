/** The verification parts of `migrate status`: the running verification, the latest report's summary. */
import { summaryOf, type VerificationReport } from '../activities/verify.js';
import { verifyWorkflowId } from '../workflows/definitions.js';
import type { StatusSources } from './status.js';
import { verifyProgress } from './verify.js';

export function statusSources(): StatusSources {
  return {
    async verifyProgress(session, entity) {
      const store = await session.resources.stateStore();
      const plan = session.loaded.plan.name;
      // The newest run request says which workflow to ask; the audit log is where runs are recorded.
      const latest = (await store.listAudit({ plan, entity, limit: 50 })).find((a) => a.action === 'verify.requested');
      const run = latest?.detail?.run;
      if (typeof run !== 'string') return undefined;
      const progress = await verifyProgress(session, verifyWorkflowId(plan, entity, run));
      // A finished run is shown through its report, not as a sweep.
      return progress?.state === 'running' || progress?.state === 'paused' || progress?.state === 'failed' ? progress : undefined;
    },
    async lastVerification(session, entity) {
      const store = await session.resources.stateStore();
      const stored = await store.latestReport<VerificationReport>(session.loaded.plan.name, entity);
      return stored ? summaryOf(stored.id, stored.report) : undefined;
    },
  };
}
