// Validation of JSON input against a TypeBox schema, reported the way a person fixes a file: one
// problem per field, the field named as it is written (`servers[1].cache.mode`), and what is
// wrong with the value that is there (`must be one of writeBack, writeThrough (got "fast")`).
// The engine (group configuration, API bodies) and the toolkit (topologies, plans) both use it.

import type { TSchema } from '@sinclair/typebox';
import { Value, type ValueError, ValueErrorType } from '@sinclair/typebox/value';

/** A problem in an input: where it is and what is wrong. */
export interface FieldProblem {
  /** The field as written in the input, e.g. `servers[1].cache.mode`; `(root)` for the whole input. */
  field: string;
  /** What is wrong, with the value found, e.g. `must be an integer from 1 to 16384 (got 0)`. */
  problem: string;
}

/** `/servers/1/cache/mode` (a TypeBox / JSON Pointer path) as `servers[1].cache.mode`. */
export function fieldName(path: string): string {
  if (path === '' || path === '/') return '(root)';
  let field = '';
  for (const raw of path.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    field += /^\d+$/.test(key) ? `[${key}]` : field === '' ? key : `.${key}`;
  }
  return field;
}

/** The value found, for a message: short JSON, or "nothing" when the field is missing. */
function got(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The literal values a schema allows, when it is a literal or a union of literals (nested too). */
function literals(schema: TSchema): unknown[] | undefined {
  if ('const' in schema) return [schema.const];
  if (!Array.isArray(schema.anyOf)) return undefined;
  const values: unknown[] = [];
  for (const variant of schema.anyOf as TSchema[]) {
    const inner = literals(variant);
    if (inner === undefined) return undefined;
    values.push(...inner);
  }
  return values;
}

/** The JSON Schema keywords the messages quote. */
interface Keywords {
  description?: string;
  properties?: Record<string, unknown>;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
}

function range(k: Keywords): string {
  const { minimum: lo, maximum: hi } = k;
  if (lo !== undefined && hi !== undefined) return ` from ${lo} to ${hi}`;
  if (lo !== undefined) return ` of at least ${lo}`;
  if (hi !== undefined) return ` of at most ${hi}`;
  return '';
}

/** One sentence for one TypeBox error. The schema's `description` names what is expected where types cannot. */
function describe(e: ValueError): string {
  const schema = e.schema;
  const k = schema as unknown as Keywords;
  const description = k.description;
  const known = Object.keys(k.properties ?? {}).join(', ');
  const count = Array.isArray(e.value) ? e.value.length : 0;
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.ObjectAdditionalProperties:
      return `unknown field (known: ${known})`;
    case ValueErrorType.ObjectMinProperties:
      return `needs at least one of ${known}`;
    case ValueErrorType.Object:
      return `must be an object${description ? ` (${description})` : ''} (got ${got(e.value)})`;
    case ValueErrorType.Array:
      return `must be a list${description ? ` of ${description}` : ''} (got ${got(e.value)})`;
    case ValueErrorType.ArrayMinItems:
      return `needs at least ${k.minItems} item(s) (got ${count})`;
    case ValueErrorType.ArrayMaxItems:
      return `takes at most ${k.maxItems} item(s) (got ${count})`;
    case ValueErrorType.ArrayUniqueItems:
      return `must not list a value twice (got ${got(e.value)})`;
    case ValueErrorType.Tuple:
    case ValueErrorType.TupleLength:
      return `must be a list of exactly ${k.maxItems ?? 0} item(s) (got ${got(e.value)})`;
    case ValueErrorType.Boolean:
      return `must be true or false (got ${got(e.value)})`;
    case ValueErrorType.Integer:
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.IntegerExclusiveMinimum:
    case ValueErrorType.IntegerExclusiveMaximum:
      return `must be an integer${range(k)} (got ${got(e.value)})`;
    case ValueErrorType.Number:
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.NumberMaximum:
      return `must be a number${range(k)} (got ${got(e.value)})`;
    case ValueErrorType.String:
      return `must be ${description ?? 'a string'} (got ${got(e.value)})`;
    case ValueErrorType.StringMinLength:
      return k.minLength === 1 ? 'must not be empty' : `must have at least ${k.minLength} characters (got ${got(e.value)})`;
    case ValueErrorType.StringMaxLength:
      return `must have at most ${k.maxLength} characters (got ${got(e.value)})`;
    case ValueErrorType.StringPattern:
      return `must be ${description ?? `a string matching /${k.pattern}/`} (got ${got(e.value)})`;
    case ValueErrorType.Literal:
    case ValueErrorType.Union: {
      const allowed = literals(schema);
      if (allowed)
        return `must be ${allowed.length === 1 ? '' : 'one of '}${allowed.map((v) => String(v)).join(', ')} (got ${got(e.value)})`;
      return `must be ${description ?? 'one of the allowed shapes'} (got ${got(e.value)})`;
    }
    default:
      return `${e.message.toLowerCase()} (got ${got(e.value)})`;
  }
}

/**
 * Every problem of `value` against `schema`, one per field (the first found for it). Empty when
 * the value is valid.
 */
export function schemaProblems(schema: TSchema, value: unknown): FieldProblem[] {
  const problems = new Map<string, string>();
  for (const e of Value.Errors(schema, value)) {
    const field = fieldName(e.path);
    if (!problems.has(field)) problems.set(field, describe(e));
  }
  return [...problems].map(([field, problem]) => ({ field, problem }));
}

/** Problems as lines for a message, indented: `  servers[1].cache.mode: must be ...`. */
export function formatProblems(problems: readonly FieldProblem[]): string {
  return problems.map((p) => `  ${p.field}: ${p.problem}`).join('\n');
}
