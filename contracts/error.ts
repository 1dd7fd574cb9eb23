// The one error shape at every boundary: HTTP APIs answer it, `--json` commands print it, the
// command adapter parses it. `{"error": {"code", "message"}}`, with `details` where evidence helps
// (the fields of an invalid configuration, the attempts of a multipath operation).

import { type Static, Type } from '@sinclair/typebox';
import type { Code } from './codes.js';

export const ErrorBodySchema = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({ pattern: '^[A-Z][A-Z0-9]*_[A-Z0-9_]+$', description: 'a stable code of the catalogue (contracts/codes.ts)' }),
        message: Type.String({ description: 'what was wrong, with what input, and what to do' }),
        details: Type.Optional(Type.Unknown({ description: 'evidence, such as the invalid fields' })),
      },
      { additionalProperties: false },
    ),
  },
  {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://sanspec.dev/schema/error.json',
    title: 'sanspec error',
    additionalProperties: false,
  },
);

/** The error shape, as sent and printed. */
export interface ErrorBody extends Static<typeof ErrorBodySchema> {
  error: { code: Code; message: string; details?: unknown };
}

/** An error body. */
export function errorBody(code: Code, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}
