import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { chooseRenderer, isCi, type ChooseRendererInput, type RendererMode } from '../../../src/ui/renderers/choose.js';
import { createBarRenderer, type BarRenderer } from '../../../src/ui/renderers/bar.js';
import { renderJsonLine } from '../../../src/ui/renderers/json.js';
import { createPlainRenderer, renderPlainLine } from '../../../src/ui/renderers/plain.js';
import { secrets } from '../../../src/secrets.js';
import { backfill, failed, fullSnapshot, NOW, running, snapshot } from './fixtures.js';
import { ESC } from './helpers.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /;

/** A terminal-like sink: cli-progress only draws on streams that say they are TTYs. */
function fakeTerminal(columns: number) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  }) as unknown as NodeJS.WriteStream & { isTTY: boolean; columns: number };
  stream.isTTY = true;
  stream.columns = columns;
  return { stream, text: () => chunks.join('') };
}

/** Visible lines of terminal output: escape sequences removed, split on newlines and carriage returns. */
function visibleLines(raw: string): string[] {
  return raw
    .replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '\n')
    .replace(/\u001b[78]/g, '')
    .split(/[\r\n]+/)
    .filter((l) => l.trim().length > 0);
}

describe('renderPlainLine', () => {
  it('given a snapshot, when rendered, then there is one timestamped line per entity', () => {
    const lines = renderPlainLine(fullSnapshot, NOW).split('\n');
    expect(lines).toHaveLength(fullSnapshot.entities.length);
    for (const l of lines) expect(l).toMatch(ISO);
    expect(lines[1]).toBe(
      '2025-06-01T12:00:00.000Z orders: backfilling 62% · backfill 1,241,500/~2,000,000 · 1,840/s · ETA 6m 52s · 0 failures · ' +
        'workflow http://localhost:8233/namespaces/default/workflows/backfill-orders · next: migrate backfill --entity orders',
    );
  });

  it('given every state and a reason carrying escape codes, when rendered, then the output has no escape codes', () => {
    const hostile = { ...failed, backfill: { ...failed.backfill!, reason: 'bad row \u001b[31mred\u001b[0m \u0007' } };
    const out = renderPlainLine(snapshot([...fullSnapshot.entities, hostile]), NOW);
    expect(out).not.toMatch(ESC);
    expect(out).toContain('failed: bad row  [31mred [0m');
  });

  it('given a sweep, when rendered, then one line carries totals and the partition states', () => {
    const out = renderPlainLine(backfill(), NOW, 'orders');
    expect(out.split('\n')).toHaveLength(1);
    expect(out).toMatch(ISO);
    expect(out).toContain('orders backfill running 62% · 1,241,500/~2,000,000 · 1,840/s · ETA 6m 52s');
    expect(out).toContain('partitions: 1 completed, 2 running, 1 not-started');
  });

  it('given a reconnecting snapshot, when rendered, then a plan line says so before the kept entity lines', () => {
    const lines = renderPlainLine(snapshot([running], { connection: 'reconnecting' }), NOW).split('\n');
    expect(lines[0]).toMatch(/plan orders-to-fulfillment: reconnecting… showing data from/);
    expect(lines).toHaveLength(2);
  });

  it('given a registered secret inside a reason, when rendered, then it is masked', () => {
    secrets.add('s3cr3t-token-value');
    const leaky = { ...failed, backfill: { ...failed.backfill!, reason: 'auth failed with s3cr3t-token-value' } };
    expect(renderPlainLine(snapshot([leaky]), NOW)).toContain('auth failed with ***');
  });
});

describe('createPlainRenderer', () => {
  function sink() {
    const lines: string[] = [];
    const stream = { write: (s: string) => lines.push(...s.trimEnd().split('\n')) } as unknown as NodeJS.WritableStream;
    return { stream, lines };
  }

  it('given an unchanged snapshot, when updated again within the heartbeat, then nothing more is written', () => {
    const { stream, lines } = sink();
    let t = NOW;
    const r = createPlainRenderer(stream, { now: () => t, heartbeatMs: 60_000 });
    r.update(fullSnapshot);
    const first = lines.length;
    t += 1000;
    r.update(fullSnapshot);
    expect(first).toBe(fullSnapshot.entities.length);
    expect(lines).toHaveLength(first);
  });

  it('given one entity advanced, when updated, then only that entity gets a new line', () => {
    const { stream, lines } = sink();
    let t = NOW;
    const r = createPlainRenderer(stream, { now: () => t });
    r.update(fullSnapshot);
    lines.length = 0;
    t += 1000;
    const advanced = fullSnapshot.entities.map((e) =>
      e.entity === 'orders' ? { ...e, backfill: { ...e.backfill!, done: 1_300_000 } } : e,
    );
    r.update({ ...fullSnapshot, entities: advanced });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('orders: backfilling 65%');
  });

  it('given a quiet entity, when the heartbeat has passed, then its line is repeated to show the run is alive', () => {
    const { stream, lines } = sink();
    let t = NOW;
    const r = createPlainRenderer(stream, { now: () => t, heartbeatMs: 60_000 });
    r.update(snapshot([running]));
    t += 60_000;
    r.update(snapshot([running]));
    expect(lines).toHaveLength(2);
  });
});

describe('renderJsonLine', () => {
  it('given a snapshot, when rendered, then it is one line of JSON that parses back to the same data', () => {
    const line = renderJsonLine(fullSnapshot);
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual(fullSnapshot);
  });

  it('given a registered secret in a string field, when rendered, then the JSON carries the mask instead', () => {
    secrets.add('hunter2-password');
    const line = renderJsonLine(snapshot([], { message: 'state store rejected hunter2-password' }));
    expect(JSON.parse(line).message).toBe('state store rejected ***');
  });
});

describe('chooseRenderer', () => {
  const table: Array<[ChooseRendererInput, RendererMode]> = [
    [{ isTTY: true, json: false, progress: 'auto' }, 'ink'],
    [{ isTTY: false, json: false, progress: 'auto' }, 'plain'],
    [{ isTTY: true, json: false, progress: 'bar' }, 'bar'],
    [{ isTTY: false, json: false, progress: 'bar' }, 'plain'],
    [{ isTTY: true, json: false, progress: 'plain' }, 'plain'],
    [{ isTTY: true, json: false, progress: 'ink' }, 'ink'],
    [{ isTTY: false, json: false, progress: 'ink' }, 'plain'],
    [{ isTTY: true, json: true, progress: 'auto' }, 'json'],
    [{ isTTY: false, json: true, progress: 'bar' }, 'json'],
    [{ isTTY: true, json: false, progress: 'auto', ci: true }, 'plain'],
    [{ isTTY: true, json: false, progress: 'ink', ci: true }, 'plain'],
    [{ isTTY: true, json: false, progress: 'bar', ci: true }, 'bar'],
  ];
  it.each(table)('given %o, when choosing, then the mode is %s', (input, mode) => {
    expect(chooseRenderer(input)).toBe(mode);
  });
});

describe('isCi', () => {
  it.each([
    [{ CI: '' }, true],
    [{ CI: 'true' }, true],
    [{ CI: 'false' }, false],
    [{ CI: '0' }, false],
    [{ CONTINUOUS_INTEGRATION: '1' }, true],
    [{}, false],
  ])('given env %o, when checked, then CI is %s (as Ink decides it)', (env, expected) => {
    expect(isCi(env)).toBe(expected);
  });
});

describe('createBarRenderer', () => {
  let renderer: BarRenderer | undefined;
  afterEach(() => renderer?.stop());

  it('given a snapshot, when drawn and stopped, then there is one bar line per entity, none past 100%', () => {
    const term = fakeTerminal(100);
    renderer = createBarRenderer(term.stream);
    renderer.update(fullSnapshot);
    renderer.stop();
    const lines = visibleLines(term.text());
    for (const e of fullSnapshot.entities) expect(lines.some((l) => l.startsWith(e.entity))).toBe(true);
    expect(lines.find((l) => l.startsWith('customers'))).toMatch(/100% 48,210\/48,210\s+verified/);
    expect(term.text()).not.toMatch(/\b(10[1-9]|1[1-9]\d)%/);
  });

  it('given a narrow terminal, when drawn, then no bar line is wider than the terminal', () => {
    const term = fakeTerminal(60);
    renderer = createBarRenderer(term.stream);
    renderer.update(fullSnapshot);
    renderer.stop();
    const widths = visibleLines(term.text()).map((l) => [...l].length);
    expect(Math.max(...widths)).toBeLessThan(60);
  });

  it('given a sweep, when drawn, then a totals line and one line per partition appear', () => {
    const term = fakeTerminal(100);
    renderer = createBarRenderer(term.stream);
    renderer.update(backfill());
    renderer.stop();
    const lines = visibleLines(term.text());
    expect(lines.some((l) => /^backfill .* 62% 1,241,500\/~2,000,000\s+running · 1,840\/s · ETA 6m 52s/.test(l))).toBe(true);
    for (const p of ['p0', 'p1', 'p2', 'p3']) expect(lines.some((l) => l.startsWith(p))).toBe(true);
  });
});
