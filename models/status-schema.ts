// JSON Schema (draft 2020-12) of the observable status, CF-2: the one shape every adapter
// reports and the harness compares with the model's prediction. Kept next to the TypeScript
// type it describes (`GroupStatus` in types.ts); a test checks that model projections validate.

const name = { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' } as const;
const cacheMode = { enum: ['writeBack', 'writeThrough'] } as const;
const alua = { enum: ['activeOptimized', 'activeNonOptimized', 'unavailable'] } as const;

export const groupStatusSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://sanspec.dev/schema/group-status.json',
  title: 'sanspec group status (CF-2)',
  type: 'object',
  additionalProperties: false,
  required: ['servers', 'ports', 'paths', 'virtualDisks', 'mirrorLinks'],
  properties: {
    servers: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'power', 'state', 'seenAs', 'ups', 'cache', 'autoRestartsUsed'],
        properties: {
          name,
          power: { enum: ['on', 'off'] },
          state: { enum: ['stopped', 'starting', 'running', 'stopping'] },
          seenAs: { enum: ['Running', 'Stopped', 'Failed', 'Unavailable'] },
          ups: { enum: ['mains', 'battery'] },
          cache: {
            type: 'object',
            additionalProperties: false,
            required: ['applied', 'pending', 'effective'],
            properties: { applied: cacheMode, pending: { enum: ['writeBack', 'writeThrough', null] }, effective: cacheMode },
          },
          autoRestartsUsed: { type: 'integer', minimum: 0 },
        },
      },
    },
    ports: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['server', 'name', 'roles', 'mode', 'enabled'],
        properties: {
          server: name,
          name: { type: 'string', minLength: 1 },
          roles: { type: 'array', minItems: 1, items: { enum: ['frontEnd', 'mirror', 'backEnd'] } },
          mode: { enum: ['targetOnly', 'initiator', 'initiatorTarget'] },
          enabled: { type: 'boolean' },
        },
      },
    },
    paths: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['host', 'server', 'port', 'online', 'alua'],
        properties: {
          host: name,
          server: name,
          port: { type: 'string', minLength: 1 },
          online: { type: 'boolean' },
          alua: { type: 'object', additionalProperties: alua },
        },
      },
    },
    virtualDisks: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'kind', 'status', 'hostAccess', 'copies'],
        properties: {
          name,
          kind: { enum: ['single', 'mirrored'] },
          status: { enum: ['online', 'failedRedundancy', 'offline', 'unknown'] },
          hostAccess: { enum: ['readWrite', 'disabled'] },
          copies: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['server', 'preferred', 'dataStatus'],
              properties: {
                server: name,
                preferred: { type: 'boolean' },
                dataStatus: {
                  enum: [
                    'upToDate',
                    'logRecoveryNeeded',
                    'fullRecoveryNeeded',
                    'logRecoveryPending',
                    'fullRecoveryPending',
                    'inLogRecovery',
                    'inFullRecovery',
                    'unknown',
                    'doubleFailure',
                  ],
                },
              },
            },
          },
        },
      },
    },
    mirrorLinks: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['servers', 'up'],
        properties: {
          servers: { type: 'array', items: name, minItems: 2, maxItems: 2 },
          up: { type: 'boolean' },
        },
      },
    },
  },
} as const;
