/**
 * Where a workflow spent its time, read back from its Temporal history: for every activity type and
 * child workflow, how many ran and the span from the first scheduled to the last completed.
 */
import type { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;

export interface PhaseSpan {
  name: string;
  count: number;
  /** From the first scheduled (or initiated) to the last completed, ms. */
  spanMs: number;
  /** Offset of the first start from the workflow's start, ms. */
  startMs: number;
}

const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number => (t ? Number(t.seconds ?? 0) * 1000 + Math.round((t.nanos ?? 0) / 1e6) : 0);

export function phaseSpans(history: History): PhaseSpan[] {
  const events = history.events ?? [];
  const t0 = ms(events[0]?.eventTime);
  const scheduled = new Map<string, { name: string; at: number }>();
  const spans = new Map<string, { count: number; first: number; last: number }>();
  const add = (name: string, start: number, end: number) => {
    const s = spans.get(name) ?? { count: 0, first: start, last: end };
    s.count++;
    s.first = Math.min(s.first, start);
    s.last = Math.max(s.last, end);
    spans.set(name, s);
  };
  for (const e of events) {
    const at = ms(e.eventTime);
    const id = String(e.eventId);
    if (e.activityTaskScheduledEventAttributes) scheduled.set(id, { name: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', at });
    if (e.startChildWorkflowExecutionInitiatedEventAttributes) scheduled.set(id, { name: `child ${e.startChildWorkflowExecutionInitiatedEventAttributes.workflowType?.name ?? '?'}`, at });
    if (e.timerStartedEventAttributes) scheduled.set(id, { name: 'timer', at });
    const done =
      e.activityTaskCompletedEventAttributes?.scheduledEventId ??
      e.childWorkflowExecutionCompletedEventAttributes?.initiatedEventId ??
      e.timerFiredEventAttributes?.startedEventId;
    if (done !== undefined && done !== null) {
      const s = scheduled.get(String(done));
      if (s) add(s.name, s.at, at);
    }
  }
  return [...spans.entries()].map(([name, s]) => ({ name, count: s.count, spanMs: s.last - s.first, startMs: s.first - t0 })).sort((a, b) => a.startMs - b.startMs);
}

export function formatSpans(spans: PhaseSpan[]): string {
  return spans.map((s) => `${s.name}×${s.count} ${(s.spanMs / 1000).toFixed(2)}s @${(s.startMs / 1000).toFixed(2)}s`).join(', ');
}
