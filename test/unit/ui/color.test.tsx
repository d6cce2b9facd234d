// Colour only shows when chalk believes the terminal supports it, so force that before Ink loads;
// otherwise "no escape codes with colour off" would pass whatever the components did.
process.env['FORCE_COLOR'] = '1';

import { describe, expect, it } from 'vitest';
import { colorEnabled } from '../../../src/ui/view.js';
import { fullSnapshot } from './fixtures.js';

// Not from helpers.ts: that loads Ink (and chalk) before FORCE_COLOR is set.
const ESC = /\u001b/;

async function dashboardFrame(color: boolean): Promise<string> {
  const { render } = await import('ink-testing-library');
  const { Dashboard } = await import('../../../src/ui/components/Dashboard.js');
  const r = render(<Dashboard snapshot={fullSnapshot} selected="orders" width={80} color={color} />);
  const frame = r.lastFrame() ?? '';
  r.unmount();
  return frame;
}

describe('colour', () => {
  it('given colour on and a colour-capable terminal, when the dashboard renders, then it is styled', async () => {
    expect(await dashboardFrame(true)).toMatch(ESC);
  });

  it('given color={false}, when the dashboard renders on the same terminal, then there are no escape codes at all', async () => {
    expect(await dashboardFrame(false)).not.toMatch(ESC);
  });

  it('given NO_COLOR set and no explicit choice, when deciding, then colour is off', () => {
    expect(colorEnabled(undefined, { NO_COLOR: '1' })).toBe(false);
  });

  it('given NO_COLOR empty (per no-color.org, not set), when deciding, then colour stays on', () => {
    expect(colorEnabled(undefined, { NO_COLOR: '' })).toBe(true);
  });

  it('given an explicit --color choice, when NO_COLOR is also set, then the explicit choice wins', () => {
    expect(colorEnabled(true, { NO_COLOR: '1' })).toBe(true);
  });
});
