import { afterEach, describe, expect, it, vi } from 'vitest';
import { render } from 'ink-testing-library';
import { DashboardApp } from '../../../src/ui/DashboardApp.js';
import type { DashboardSnapshot } from '../../../src/progress.js';
import { fullSnapshot, pausedByFlag, running, snapshot } from './fixtures.js';
import { settle, waitFor } from './helpers.js';

const DOWN = '\u001B[B';
const UP = '\u001B[A';
const CTRL_C = '\u0003';

type Mounted = ReturnType<typeof render>;
let mounted: Mounted[] = [];

function mount(props: Partial<Parameters<typeof DashboardApp>[0]> & { poll: () => Promise<DashboardSnapshot> }) {
  const onTogglePause = vi.fn(async (_entity: string) => {});
  const onExit = vi.fn();
  const r = render(
    <DashboardApp onTogglePause={onTogglePause} onExit={onExit} color={false} width={80} {...props} />,
  );
  mounted.push(r);
  return { ...r, onTogglePause: (props.onTogglePause as typeof onTogglePause | undefined) ?? onTogglePause, onExit };
}

/** With fake setTimeout, lets timers, promise callbacks and React's setImmediate-driven renders run. */
async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

afterEach(() => {
  for (const r of mounted) r.unmount();
  mounted = [];
  vi.useRealTimers();
});

describe('DashboardApp polling', () => {
  it('given a poll that answers, when mounted, then the first snapshot is drawn without waiting an interval', async () => {
    const app = mount({ poll: async () => fullSnapshot });
    await waitFor(() => (app.lastFrame() ?? '').includes('plan orders-to-fulfillment'), () => app.lastFrame() ?? '');
    expect(app.lastFrame()).toContain('▸ customers');
  });

  it('given an interval below one second, when time passes, then it still polls at most once a second', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const poll = vi.fn(async () => fullSnapshot);
    mount({ poll, intervalMs: 10 });
    await advance(0);
    expect(poll).toHaveBeenCalledTimes(1);
    await advance(999);
    expect(poll).toHaveBeenCalledTimes(1);
    await advance(1);
    expect(poll).toHaveBeenCalledTimes(2);
  });

  it('given a poll that throws after a success, when drawn, then the last data stays under a reconnecting banner', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const answers: Array<() => Promise<DashboardSnapshot>> = [
      async () => fullSnapshot,
      async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:7233');
      },
    ];
    const app = mount({ poll: () => answers.shift()!() });
    await advance(0);
    expect(app.lastFrame()).not.toContain('reconnecting');
    await advance(1000);
    expect(app.lastFrame()).toContain('reconnecting… showing data from');
    expect(app.lastFrame()).toContain('ETA 6m 52s');
  });

  it('given a reconnecting dashboard, when a poll succeeds again, then the banner goes and the new data shows', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const later = snapshot([{ ...running, backfill: { ...running.backfill!, done: 1_500_000 } }]);
    const answers: Array<() => Promise<DashboardSnapshot>> = [
      async () => fullSnapshot,
      async () => Promise.reject(new Error('worker restarting')),
      async () => later,
    ];
    const app = mount({ poll: () => answers.shift()!() });
    await advance(0);
    await advance(1000);
    await advance(1000);
    expect(app.lastFrame()).not.toContain('reconnecting');
    expect(app.lastFrame()).toContain('1,500,000/~2,000,000');
  });

  it('given a poll that never answered, when it throws, then the screen says reconnecting instead of staying blank', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const app = mount({ poll: async () => Promise.reject(new Error('no server')) });
    await advance(0);
    expect(app.lastFrame()).toContain('reconnecting… no data yet');
  });

  it('given an unmounted dashboard, when time passes, then it polls no more', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const poll = vi.fn(async () => fullSnapshot);
    const app = mount({ poll });
    await advance(0);
    app.unmount();
    await advance(5000);
    expect(poll).toHaveBeenCalledTimes(1);
  });
});

describe('DashboardApp keys', () => {
  async function ready(props: Partial<Parameters<typeof DashboardApp>[0]> = {}, first = 'customers') {
    const app = mount({ poll: async () => fullSnapshot, ...props });
    await waitFor(() => (app.lastFrame() ?? '').includes(`▸ ${first}`), () => app.lastFrame() ?? '');
    await settle();
    return app;
  }

  it('given the first entity selected, when ↓ is pressed, then the next entity is selected', async () => {
    const app = await ready();
    app.stdin.write(DOWN);
    await waitFor(() => (app.lastFrame() ?? '').includes('▸ orders'), () => app.lastFrame() ?? '');
    expect(app.lastFrame()).not.toContain('▸ customers');
  });

  it('given the second entity selected, when ↑ is pressed twice, then the selection stops at the first', async () => {
    const app = await ready();
    app.stdin.write(DOWN);
    await waitFor(() => (app.lastFrame() ?? '').includes('▸ orders'), () => app.lastFrame() ?? '');
    app.stdin.write(UP);
    await settle();
    app.stdin.write(UP);
    await waitFor(() => (app.lastFrame() ?? '').includes('▸ customers'), () => app.lastFrame() ?? '');
    expect(app.lastFrame()!.match(/▸/g)).toHaveLength(1);
  });

  it('given orders selected, when p is pressed, then onTogglePause is called for orders and the row says pausing…', async () => {
    const app = await ready();
    // Typed back to back, as a quick operator would: p must act on what ↓ selected.
    app.stdin.write(DOWN);
    app.stdin.write('p');
    await waitFor(() => (app.lastFrame() ?? '').includes('pausing…'), () => app.lastFrame() ?? '');
    expect(app.onTogglePause).toHaveBeenCalledExactlyOnceWith('orders');
  });

  it('given a paused entity selected, when p is pressed, then the row says resuming…', async () => {
    const app = await ready({ poll: async () => snapshot([pausedByFlag]) }, 'payments');
    app.stdin.write('p');
    await waitFor(() => (app.lastFrame() ?? '').includes('resuming…'), () => app.lastFrame() ?? '');
    expect(app.onTogglePause).toHaveBeenCalledWith('payments');
  });

  it('given a pause in flight, when p is pressed again, then the second press is ignored so it cannot undo the first', async () => {
    let release: () => void = () => {};
    const onTogglePause = vi.fn(() => new Promise<void>((resolve) => (release = resolve)));
    const app = await ready({ onTogglePause });
    app.stdin.write('p');
    await settle();
    app.stdin.write('p');
    await settle();
    release();
    expect(onTogglePause).toHaveBeenCalledTimes(1);
  });

  it('given a toggle that fails, when p is pressed, then the error is shown and the pending label cleared', async () => {
    const onTogglePause = vi.fn(async () => {
      throw new Error('flag store unreachable');
    });
    const app = await ready({ onTogglePause });
    app.stdin.write('p');
    await waitFor(() => (app.lastFrame() ?? '').includes('could not toggle customers: flag store unreachable'), () => app.lastFrame() ?? '');
    expect(app.lastFrame()).not.toContain('pausing…');
  });

  it('given a pause that was sent, when the next snapshot arrives, then the pausing… label goes', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const app = mount({ poll: async () => fullSnapshot });
    await advance(0);
    app.stdin.write('p');
    await advance(0);
    expect(app.lastFrame()).toContain('pausing…');
    await advance(1000);
    expect(app.lastFrame()).not.toContain('pausing…');
  });

  it('given the dashboard, when q is pressed, then onExit is called and nothing is paused', async () => {
    const app = await ready();
    app.stdin.write('q');
    await settle();
    expect(app.onExit).toHaveBeenCalledTimes(1);
    expect(app.onTogglePause).not.toHaveBeenCalled();
  });

  it('given the dashboard, when Ctrl-C is pressed, then onExit is called and nothing is paused', async () => {
    const app = await ready();
    app.stdin.write(CTRL_C);
    await settle();
    expect(app.onExit).toHaveBeenCalledTimes(1);
    expect(app.onTogglePause).not.toHaveBeenCalled();
  });
});

describe('renderDashboard', () => {
  it('given a stream, when mounted and unmounted, then the dashboard was drawn on that stream and stdout stayed untouched', async () => {
    const { Writable } = await import('node:stream');
    const { renderDashboard } = await import('../../../src/ui/render.js');
    let written = '';
    const stream = new Writable({
      write(chunk: Buffer | string, _enc, done) {
        written += chunk.toString();
        done();
      },
    }) as unknown as NodeJS.WriteStream;
    Object.assign(stream, { isTTY: true, columns: 80, rows: 40 });
    const stdoutWrite = vi.spyOn(process.stdout, 'write');
    const poll = vi.fn(async () => fullSnapshot);
    const handle = renderDashboard(
      stream,
      { poll, onTogglePause: async () => {}, onExit: () => {}, color: false },
      // vitest replaces console with its own, which Ink cannot patch
      { patchConsole: false },
    );
    await waitFor(() => poll.mock.calls.length > 0, () => written);
    await settle(50);
    handle.unmount();
    await handle.waitUntilExit();
    // With CI set (even empty) Ink writes only the final frame, at unmount: assert after it.
    expect(written).toContain('plan orders-to-fulfillment');
    expect(stdoutWrite).not.toHaveBeenCalled();
    stdoutWrite.mockRestore();
  });
});
