/** Words for what a command started on the way, so the operator knows what runs where. */
import type { Session } from './session.js';
import type { WorkerCheck } from './workers.js';

export function startedNotes(session: Session, workers?: WorkerCheck): string[] {
  const notes: string[] = [];
  const local = session.temporal.startedLocal;
  if (local) notes.push(`Started a local Temporal dev server at ${local.address} (state ${local.dbFile}, log ${local.logFile}, UI ${local.uiUrl}).`);
  if (workers?.started) notes.push(`Started a background worker (pid ${workers.started.pid}, log ${workers.started.logFile}); stop it with \`kill ${workers.started.pid}\`.`);
  return notes;
}
