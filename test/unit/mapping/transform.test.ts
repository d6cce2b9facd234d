import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { compileMapping, loadTransform, MappingError } from '../../../src/mapping/index.js';
import { entity } from './entity.js';

// A plan file that would sit next to the fixtures directory; transform paths are relative to it.
const PLAN = fileURLToPath(new URL('../../fixtures/plan.yaml', import.meta.url));

describe('loadTransform', () => {
  it('given a module path relative to the plan file, when loaded, then its default export transforms mapped items', async () => {
    const transform = await loadTransform(PLAN, './transforms/fullName.ts');
    const m = compileMapping(entity({ id: 'id' }, { transform: './transforms/fullName.ts' }), { transform });
    expect(m.map({ id: 1, first_name: 'Ada', last_name: 'Lovelace' })).toEqual({ id: 1, fullName: 'Ada Lovelace' });
  });

  it('given a missing module, when loaded, then a UserError names the file', async () => {
    await expect(loadTransform(PLAN, './transforms/nope.ts')).rejects.toThrow(/transforms\/nope\.ts.*does not exist/);
  });

  it('given a module without a default export, when loaded, then a UserError names the file', async () => {
    const err = await loadTransform(PLAN, './transforms/noDefault.ts').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/noDefault\.ts has no default export/);
  });

  it('given a module that throws while loading, when loaded, then a UserError names the file and the cause', async () => {
    await expect(loadTransform(PLAN, './transforms/throwsOnLoad.ts')).rejects.toThrow(/throwsOnLoad\.ts failed to load: boom at load/);
  });
});

describe('transform at map time', () => {
  it('given a transform that throws, when a row is mapped, then a MappingError with the row key and sensitive values masked', async () => {
    const transform = await loadTransform(PLAN, './transforms/fullName.ts');
    const m = compileMapping(entity({ id: 'id', card: { from: 'card', sensitive: true } }), { transform });
    let err: unknown;
    try {
      m.map({ id: 8, first_name: 'reject', card: '4111111111111111' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MappingError);
    expect((err as MappingError).rowKey).toEqual([8]);
    expect((err as MappingError).message).toContain('row refused');
    expect((err as MappingError).message).not.toContain('4111111111111111');
  });

  it('given an async transform, when a row is mapped, then a UserError says transforms must be synchronous', async () => {
    const transform = await loadTransform(PLAN, './transforms/asyncTransform.ts');
    const m = compileMapping(entity({ id: 'id' }), { transform });
    expect(() => m.map({ id: 1 })).toThrow(/synchronous/);
  });

  it('given a transform returning a non-object, when a row is mapped, then a MappingError', () => {
    const m = compileMapping(entity({ id: 'id' }), { transform: () => undefined as unknown as Record<string, unknown> });
    expect(() => m.map({ id: 1 })).toThrow(MappingError);
  });

  it('given a transform, then the mapping says readers must select whole rows', () => {
    expect(compileMapping(entity({ id: 'id' }), { transform: (i) => i }).readsWholeRow).toBe(true);
    expect(compileMapping(entity({ id: 'id' })).readsWholeRow).toBe(false);
  });
});
