/** The progress bar as plain text, shared by the Ink bar and the cli-progress renderer (no Ink import). */
export const BAR_FULL = '█';
export const BAR_EMPTY = '░';

/** The bar as plain text: exactly `width` cells, full only at fraction 1. */
export function barText(fraction: number, width: number): string {
  const w = Math.max(0, Math.floor(width));
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  // Floor, so a bar looks complete only when the work is.
  const filled = f >= 1 ? w : Math.min(w - 1, Math.floor(f * w));
  return BAR_FULL.repeat(Math.max(0, filled)) + BAR_EMPTY.repeat(w - Math.max(0, filled));
}
