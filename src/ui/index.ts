/** The terminal UI: pure components, the one stateful container, and non-Ink renderers. */
export { ProgressBar, barText, type ProgressBarProps } from './components/ProgressBar.js';
export { EntityRow, rowLayout, type EntityRowProps, type PendingAction } from './components/EntityRow.js';
export { Dashboard, KEY_LEGEND, type DashboardProps } from './components/Dashboard.js';
export { SweepView, visiblePartitions, type SweepViewProps } from './components/SweepView.js';
export { DashboardApp, MIN_POLL_INTERVAL_MS, type DashboardAppProps } from './DashboardApp.js';
export { renderDashboard, type DashboardHandle, type RenderDashboardOptions } from './render.js';
export { renderPlainLine, createPlainRenderer, plainEntity, plainSweep, type PlainRendererOptions } from './renderers/plain.js';
export { renderJsonLine } from './renderers/json.js';
export { createBarRenderer, type BarRenderer } from './renderers/bar.js';
export {
  chooseRenderer,
  isCi,
  type ChooseRendererInput,
  type ProgressOption,
  type RendererMode,
} from './renderers/choose.js';
export { colorEnabled, viewEntity, viewSweep, type EntityView, type SweepView as SweepViewModel } from './view.js';
