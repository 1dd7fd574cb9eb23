// The model adapter's configuration file (`--adapter-config FILE`): JSON with the options of
// `createModelAdapter`, so a run from the command line can make it lie or recover by itself.
//   { "lies": { "dropWrite": { "vdisk": "m1", "nth": 3 } }, "diskSize": 262144, "autoRecoverMs": 50, "writeBackCache": true }
// ("liesEvery": 2 makes the lies hold on every other system opened: a failure that comes and goes).

import { readFileSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { AdapterError } from '../types.js';
import type { ModelAdapterOptions } from './model-adapter.js';

const Flag = Type.Optional(Type.Boolean());
const ModelAdapterConfigSchema = Type.Object(
  {
    lies: Type.Optional(
      Type.Object(
        {
          reportStoppedPathsOnline: Flag,
          dropWrite: Type.Optional(
            Type.Object({ vdisk: Type.String(), nth: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
          ),
          acceptRefused: Flag,
          wrongRefusalCode: Flag,
          serveUnavailablePaths: Flag,
          writeWhileDisabled: Flag,
          recoveryCopiesNothing: Flag,
          ignoreWriteBack: Flag,
          cacheOnBattery: Flag,
          crashLosesDurable: Flag,
          invalidStatus: Flag,
        },
        { additionalProperties: false },
      ),
    ),
    diskSize: Type.Optional(Type.Integer({ minimum: 4096, multipleOf: 4096 })),
    autoRecoverMs: Type.Optional(Type.Integer({ minimum: 0 })),
    writeBackCache: Type.Optional(Type.Boolean()),
    liesEvery: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

/** Reads and checks a model adapter configuration file; SANSPEC_BAD_ADAPTER_CONFIG names every bad field. */
export function loadModelAdapterConfig(file: string): ModelAdapterOptions {
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new AdapterError(
      `cannot read the model adapter configuration ${file}: ${(error as Error).message}`,
      undefined,
      'SANSPEC_BAD_ADAPTER_CONFIG',
    );
  }
  if (!Value.Check(ModelAdapterConfigSchema, config)) {
    const problems = [...Value.Errors(ModelAdapterConfigSchema, config)].map((e) => `${e.path || '/'}: ${e.message}`);
    throw new AdapterError(`invalid model adapter configuration ${file}: ${problems.join('; ')}`, problems, 'SANSPEC_BAD_ADAPTER_CONFIG');
  }
  return config;
}
