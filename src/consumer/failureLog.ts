/**
 * The durable log of second writes that failed during dual writes: an append-only JSON-lines
 * file, synced to disk after every record, replayed on start. Per key only the latest failed
 * value is pending — an older one is superseded by a newer failure or by a later successful
 * write of the same key — so a replay can never put an old value over a newer one.
 *
 * One log file belongs to one process at a time.
 */
import { mkdir, open, readFile, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';

export interface FailedWrite {
  id: string;
  keyText: string;
  /** The key as JSON (bigints as decimal strings). */
  key: unknown;
  value: unknown;
  epoch: number;
  attempts: number;
  firstError: string;
  lastError: string;
  at: string;
}

type Line =
  | ({ t: 'fail' } & Omit<FailedWrite, 'attempts' | 'lastError'> & { attempts?: number; lastError?: string })
  | { t: 'attempt'; id: string; error: string }
  | { t: 'done'; id: string }
  | { t: 'superseded'; id: string };

function jsonSafe(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x))) as unknown;
}

export class FailureLog {
  private pending = new Map<string, FailedWrite>();
  private byKey = new Map<string, string>();
  private fh: FileHandle | undefined;
  private chain: Promise<void> = Promise.resolve();
  private lines = 0;

  private constructor(readonly path: string) {}

  /** Opens (creating if needed) the log and rebuilds what is pending from it. */
  static async open(path: string): Promise<FailureLog> {
    const log = new FailureLog(path);
    await mkdir(dirname(path), { recursive: true });
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    for (const raw of text.split('\n')) {
      if (raw.trim() === '') continue;
      let line: Line;
      try {
        line = JSON.parse(raw) as Line;
      } catch {
        continue; // a torn last line from a crash mid-append: the record was never acknowledged as logged
      }
      log.apply(line);
      log.lines++;
    }
    log.fh = await open(path, 'a');
    return log;
  }

  private apply(line: Line): void {
    if (line.t === 'fail') {
      const { t: _t, attempts, lastError, ...rest } = line;
      const older = this.byKey.get(rest.keyText);
      if (older !== undefined) this.pending.delete(older);
      this.pending.set(rest.id, { ...rest, attempts: attempts ?? 1, lastError: lastError ?? rest.firstError });
      this.byKey.set(rest.keyText, rest.id);
      return;
    }
    const entry = this.pending.get(line.id);
    if (entry === undefined) return;
    if (line.t === 'attempt') {
      entry.attempts++;
      entry.lastError = line.error;
      return;
    }
    this.pending.delete(line.id);
    if (this.byKey.get(entry.keyText) === line.id) this.byKey.delete(entry.keyText);
  }

  private append(line: Line): Promise<void> {
    const run = async (): Promise<void> => {
      await this.fh!.appendFile(`${JSON.stringify(line)}\n`);
      await this.fh!.datasync();
      this.apply(line);
      this.lines++;
    };
    const p = this.chain.then(run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Records a failed second write; resolves once it is on disk. */
  async recordFailure(keyText: string, key: unknown, value: unknown, epoch: number, error: string): Promise<FailedWrite> {
    const id = randomUUID();
    await this.append({ t: 'fail', id, keyText, key: jsonSafe(key), value: jsonSafe(value), epoch, at: new Date().toISOString(), firstError: error });
    return this.pending.get(id)!;
  }

  async recordAttempt(id: string, error: string): Promise<void> {
    await this.append({ t: 'attempt', id, error });
  }

  async recordDone(id: string): Promise<void> {
    await this.append({ t: 'done', id });
  }

  /** A later write of the key reached the new service: the logged value is obsolete. */
  async supersede(keyText: string): Promise<void> {
    const id = this.byKey.get(keyText);
    if (id !== undefined) await this.append({ t: 'superseded', id });
  }

  pendingFor(keyText: string): FailedWrite | undefined {
    const id = this.byKey.get(keyText);
    return id === undefined ? undefined : this.pending.get(id);
  }

  /** What is still to be written to the new service, oldest first. */
  list(): FailedWrite[] {
    return [...this.pending.values()].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }

  get size(): number {
    return this.pending.size;
  }

  /** Rewrites the file with only what is pending once it has grown well past that (atomic rename). */
  async compact(): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.lines < 1000 || this.lines < 4 * this.pending.size) return;
      const tmp = `${this.path}.tmp`;
      const body = this.list()
        .map((e) => JSON.stringify({ t: 'fail', ...e }))
        .join('\n');
      await writeFile(tmp, body === '' ? '' : `${body}\n`, { flush: true });
      await this.fh!.close();
      await rename(tmp, this.path);
      this.fh = await open(this.path, 'a');
      this.lines = this.pending.size;
    };
    const p = this.chain.then(run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  async close(): Promise<void> {
    await this.chain;
    await this.fh?.close();
    this.fh = undefined;
  }
}
