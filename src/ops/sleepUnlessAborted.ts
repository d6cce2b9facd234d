/**
 * A wait between polls that ends early when `signal` aborts, and takes its abort listener off the
 * signal when the timer ends first. Adding a `{ once: true }` listener per poll and leaving it
 * piled up listeners on one long-lived signal: after ten polls Node warned
 * "MaxListenersExceededWarning: Possible EventTarget memory leak detected. 11 abort listeners".
 */
export function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
