/**
 * The one stateful piece of the terminal UI: polls snapshots, remembers the selection and pending
 * operator actions, maps keys to callbacks. Everything it draws comes from the pure components.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useApp, useInput, useStdin, useStdout } from 'ink';
import type { DashboardSnapshot, EntityStatus } from '../progress.js';
import { Dashboard } from './components/Dashboard.js';
import type { PendingAction } from './components/EntityRow.js';
import { colorEnabled } from './view.js';

export interface DashboardAppProps {
  /** One frame of data; a throw means "not reachable right now", never the end of the dashboard. */
  poll: () => Promise<DashboardSnapshot>;
  /** Pause between the end of one poll and the start of the next; raised to at least 1000 ms. */
  intervalMs?: number;
  /** Flip the entity's backfill flag (the audited CLI path); the UI only asks, it never stops work itself. */
  onTogglePause: (entity: string) => Promise<void>;
  /** Called on q or Ctrl-C; detaching leaves every workflow running. */
  onExit: () => void;
  /** Colour on/off; defaults to on unless NO_COLOR is set. */
  color?: boolean;
  /** Columns to draw in; defaults to the output stream's width. */
  width?: number;
}

export const MIN_POLL_INTERVAL_MS = 1000;

interface Pending {
  action: PendingAction;
  /** The request returned; the label goes with the next snapshot. */
  settled: boolean;
}

function isPaused(e: EntityStatus): boolean {
  return e.backfill?.state === 'paused' || e.phase === 'paused';
}

function useColumns(override: number | undefined): number {
  const { stdout } = useStdout();
  const [columns, setColumns] = useState(() => stdout.columns || 80);
  useEffect(() => {
    const onResize = () => setColumns(stdout.columns || 80);
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return override ?? columns;
}

/** Live dashboard: at most one poll per interval, last data kept while reconnecting, keys ↑/↓ p q. */
export function DashboardApp({ poll, intervalMs, onTogglePause, onExit, color, width }: DashboardAppProps) {
  const interval = Math.max(MIN_POLL_INTERVAL_MS, intervalMs ?? MIN_POLL_INTERVAL_MS);
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  const columns = useColumns(width);
  const [snapshot, setSnapshot] = useState<DashboardSnapshot>();
  const [reconnecting, setReconnecting] = useState(false);
  // Which system did not answer (Temporal or the state store), as the poll's error says it.
  const [why, setWhy] = useState<string>();
  const [selected, setSelected] = useState<string>();
  const [pending, setPending] = useState<Record<string, Pending>>({});
  const [error, setError] = useState<string>();

  // Callbacks and the latest data through refs: the poll loop and key handler outlive renders.
  const pollRef = useRef(poll);
  pollRef.current = poll;
  const snapshotRef = useRef(snapshot);
  snapshotRef.current = snapshot;
  const pendingRef = useRef(pending);
  pendingRef.current = pending;

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const next = await pollRef.current();
        if (stopped) return;
        setSnapshot(next);
        setReconnecting(false);
        setPending((p) => {
          const kept = Object.entries(p).filter(([, v]) => !v.settled);
          return kept.length === Object.keys(p).length ? p : Object.fromEntries(kept);
        });
      } catch (e) {
        if (stopped) return;
        setReconnecting(true);
        setWhy(e instanceof Error ? e.message : String(e));
      }
      if (!stopped) timer = setTimeout(() => void tick(), interval);
    };
    void tick();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [interval]);

  const entities = snapshot?.entities ?? [];
  const current = entities.find((e) => e.entity === selected)?.entity ?? entities[0]?.entity;
  // Keys are handled against refs, not render closures: a ↓ then p typed faster than React
  // re-subscribes the input handler must pause the entity the ↓ selected.
  const currentRef = useRef(current);
  currentRef.current = current;
  const onToggleRef = useRef(onTogglePause);
  onToggleRef.current = onTogglePause;

  const move = useCallback((delta: number) => {
    const list = snapshotRef.current?.entities ?? [];
    if (list.length === 0) return;
    const at = Math.max(0, list.findIndex((e) => e.entity === currentRef.current));
    const next = list[Math.min(list.length - 1, Math.max(0, at + delta))]!.entity;
    currentRef.current = next;
    setSelected(next);
  }, []);

  const togglePause = useCallback(() => {
    const target = snapshotRef.current?.entities.find((e) => e.entity === currentRef.current);
    // A second p before the first shows up would undo it: ignore until the snapshot catches up.
    if (!target || pendingRef.current[target.entity]) return;
    const name = target.entity;
    const action: PendingAction = isPaused(target) ? 'resuming' : 'pausing';
    pendingRef.current = { ...pendingRef.current, [name]: { action, settled: false } };
    setError(undefined);
    setPending((p) => ({ ...p, [name]: { action, settled: false } }));
    onToggleRef.current(name).then(
      () => setPending((p) => (p[name] ? { ...p, [name]: { ...p[name]!, settled: true } } : p)),
      (e: unknown) => {
        setPending(({ [name]: _dropped, ...rest }) => rest);
        setError(`could not toggle ${name}: ${e instanceof Error ? e.message : String(e)}`);
      },
    );
  }, []);

  useInput(
    (input, key) => {
      if (key.upArrow || input === 'k') move(-1);
      else if (key.downArrow || input === 'j') move(1);
      else if (input === 'p') togglePause();
      else if (input === 'q' || (key.ctrl && input === 'c')) {
        onExit();
        exit();
      }
    },
    // Without raw mode (stdin piped) Ink cannot read keys; the dashboard still draws. Ink reports
    // stdin.isTTY as is, so undefined must become an explicit false or useInput turns raw mode on.
    { isActive: isRawModeSupported === true },
  );

  const shown: DashboardSnapshot | undefined =
    snapshot && reconnecting ? { ...snapshot, connection: 'reconnecting' } : snapshot;
  const labels: Record<string, PendingAction> = {};
  for (const [k, v] of Object.entries(pending)) labels[k] = v.action;

  return (
    <Dashboard
      {...(shown ? { snapshot: shown } : {})}
      {...(current ? { selected: current } : {})}
      {...(error ? { error } : {})}
      reconnecting={reconnecting}
      {...(reconnecting && why ? { reconnectReason: why } : {})}
      width={columns}
      color={colorEnabled(color)}
      pending={labels}
    />
  );
}
