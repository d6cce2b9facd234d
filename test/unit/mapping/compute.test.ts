/** Computed map fields: JsonLogic rules over the row, checked when the plan is compiled. Expected values are written by hand. */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { compileMapping, MappingError } from '../../../src/mapping/index.js';
import { compileExpression, ExpressionError } from '../../../src/mapping/compute.js';
import { entity } from './entity.js';

const FILM_MAP = {
  id: { compute: { cat: [{ var: 'film_id' }, '-', { var: 'store_id' }] } },
  filmId: 'film_id',
  storeId: 'store_id',
  features: { compute: { split: [{ var: 'special_features' }, ','] } },
  kind: { const: 'inventory' },
  'rating.code': { compute: { upper: { var: 'rating' } } },
  'rating.adult': { compute: { in: [{ var: 'rating' }, ['r', 'nc-17']] } },
};

describe('computed fields', () => {
  it('Given key parts, a SET column, a constant and nested computed fields, When a row is mapped, Then the item has the joined key, the SET as a list and the nested object', () => {
    const m = compileMapping(entity(FILM_MAP, { key: ['film_id', 'store_id'], targetKey: ['id'] }));
    expect(m.map({ film_id: 7, store_id: 2, special_features: 'Trailers,Deleted Scenes', rating: 'nc-17' })).toEqual({
      id: '7-2',
      filmId: 7,
      storeId: 2,
      features: ['Trailers', 'Deleted Scenes'],
      kind: 'inventory',
      rating: { code: 'NC-17', adult: true },
    });
    expect(m.targetKeyFields).toEqual(['id']);
    expect(m.keyOfItem(m.map({ film_id: 7, store_id: 2, special_features: '', rating: 'g' }))).toEqual({ id: '7-2' });
  });

  it('Given an empty SET and a NULL one, When mapped, Then the empty set is [] and NULL stays null', () => {
    const m = compileMapping(entity({ id: 'id', features: FILM_MAP.features }));
    expect(m.map({ id: 1, special_features: '' }).features).toEqual([]);
    expect(m.map({ id: 2, special_features: null }).features).toBeNull();
  });

  it('Given computed fields, When compiled, Then the columns their rules read are selected and nothing else', () => {
    const m = compileMapping(entity(FILM_MAP, { key: ['film_id', 'store_id'], targetKey: ['id'] }));
    expect(m.sourceColumns).toEqual(['film_id', 'store_id', 'special_features', 'rating']);
    expect(m.readsWholeRow).toBe(false);
  });

  it('Given a timestamp and a bigint column, When joined, Then they are joined as ISO text and digits, not as JavaScript renders them', () => {
    const m = compileMapping(entity({ id: 'id', ref: { compute: { cat: [{ var: 'at' }, '/', { var: 'n' }] } } }));
    expect(m.map({ id: 1, at: new Date('2024-02-29T10:00:00Z'), n: 9007199254740993n }).ref).toBe('2024-02-29T10:00:00.000Z/9007199254740993');
  });

  it('Given a rule with `as` and `default`, When it yields a value or nothing, Then the value is cast and nothing takes the default', () => {
    const m = compileMapping(entity({ id: 'id', total: { compute: { '+': [{ var: 'a' }, { var: 'b' }] }, as: 'string' }, note: { compute: { var: 'missing_col' }, default: 'none' } }));
    expect(m.map({ id: 1, a: 2, b: 3 })).toEqual({ id: 1, total: '5', note: 'none' });
  });

  it('Given a rule using an unknown operation, When compiled, Then the plan error names the field and the operation', () => {
    let err: unknown;
    try {
      compileMapping(entity({ id: 'id', x: { compute: { eval: ['process.exit()'] } } }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toContain('map.x: the rule compute uses the unknown operation "eval"');
  });

  it.each([
    [{ var: { cat: ['a', 'b'] } }, 'compute.var must name a column literally'],
    [{ var: 'row.constructor' }, 'reserved name "constructor"'],
    [{ var: '' }, 'needs a column name'],
    [{ cat: ['a'], if: [true, 1, 2] }, 'an object with 2 keys'],
    [{ log: 'x' }, 'unknown operation "log"'],
  ])('Given the rule %j, When compiled, Then it is refused (%s)', (rule, message) => {
    expect(() => compileExpression(rule)).toThrow(ExpressionError);
    expect(() => compileExpression(rule)).toThrow(message);
  });

  it('Given map over a list, When compiled, Then `var` inside the per-item rule names the item, not a column', () => {
    const e = compileExpression({ map: [{ split: [{ var: 'tags' }, ';'] }, { upper: { var: '' } }] });
    expect(e.columns).toEqual(['tags']);
    expect(e.evaluate({ tags: 'a;b' })).toEqual(['A', 'B']);
  });

  it('Given a rule that fails on a row, When mapped, Then a MappingError names the field and the columns it was computed from', () => {
    const m = compileMapping(entity({ id: 'id', parts: { compute: { substr: [{ var: 'code' }, 1] }, as: 'integer' } }));
    let err: unknown;
    try {
      m.map({ id: 3, code: 'x-y' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MappingError);
    expect((err as MappingError).message).toContain('field "parts" (as integer): computed from code="x-y"');
  });
});
