import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { fieldName, schemaProblems } from '../../../contracts/validate.js';

describe('schema problems: one per field, named as written, with the value found', () => {
  it('turns TypeBox paths into field names', () => {
    expect(fieldName('')).toBe('(root)');
    expect(fieldName('/servers/1/cache/mode')).toBe('servers[1].cache.mode');
    expect(fieldName('/0/name')).toBe('[0].name');
    expect(fieldName('/a~1b/c~0d')).toBe('a/b.c~d');
  });

  it('says what is expected for each kind of value', () => {
    const schema = Type.Object(
      {
        mode: Type.Union([Type.Literal('writeBack'), Type.Literal('writeThrough')]),
        size: Type.Integer({ minimum: 1, maximum: 10 }),
        count: Type.Optional(Type.Integer({ minimum: 0 })),
        name: Type.String({ pattern: '^[a-z]+$', description: 'a lowercase word' }),
        flag: Type.Boolean(),
        list: Type.Array(Type.String(), { minItems: 2 }),
        pair: Type.Tuple([Type.String(), Type.String()]),
        nested: Type.Object({ required: Type.String() }, { additionalProperties: false }),
      },
      { additionalProperties: false },
    );
    const problems = schemaProblems(schema, {
      mode: 'fast',
      size: 11,
      count: 1.5,
      name: 'Ab',
      flag: 'yes',
      list: ['x'],
      pair: ['a'],
      nested: { extra: 1 },
      bogus: null,
    });
    expect(problems).toEqual([
      { field: 'bogus', problem: 'unknown field (known: mode, size, count, name, flag, list, pair, nested)' },
      { field: 'mode', problem: 'must be one of writeBack, writeThrough (got "fast")' },
      { field: 'size', problem: 'must be an integer from 1 to 10 (got 11)' },
      { field: 'count', problem: 'must be an integer of at least 0 (got 1.5)' },
      { field: 'name', problem: 'must be a lowercase word (got "Ab")' },
      { field: 'flag', problem: 'must be true or false (got "yes")' },
      { field: 'list', problem: 'needs at least 2 item(s) (got 1)' },
      { field: 'pair', problem: 'must be a list of exactly 2 item(s) (got ["a"])' },
      { field: 'nested.required', problem: 'is required' },
      { field: 'nested.extra', problem: 'unknown field (known: required)' },
    ]);
  });

  it('finds nothing wrong with a valid value, and the whole value wrong when it is not an object', () => {
    const schema = Type.Object({ a: Type.Integer() });
    expect(schemaProblems(schema, { a: 1 })).toEqual([]);
    expect(schemaProblems(schema, [1])).toEqual([{ field: '(root)', problem: 'must be an object (got [1])' }]);
  });
});
