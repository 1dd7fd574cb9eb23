// docs/schema/ publishes the CF-2 status shape for vendors who write an adapter without reading
// TypeScript: group-status.json is the JSON Schema (draft 2020-12) of contracts/status.ts,
// group-status.example.json a status the model reports, and command-manifest.json the schema of a
// command adapter's manifest (adapters/command/manifest-schema.ts; the examples' manifests name it
// in `$schema`). This test fails when one is out of date, and rewrites them when run with SANSPEC_UPDATE_DOCS=1:
//   SANSPEC_UPDATE_DOCS=1 npx vitest run test/unit/docs/published-schema.test.ts

import { readFileSync, writeFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { CommandManifestSchema } from '../../../adapters/command/manifest-schema.js';
import { GroupStatusSchema } from '../../../contracts/status.js';
import { createGroupModel } from '../../../models/group.js';
import { groupStatus } from '../../../models/status.js';
import { defaultTopology } from '../../../models/topology.js';

const update = process.env.SANSPEC_UPDATE_DOCS === '1';
const hint = 'SANSPEC_UPDATE_DOCS=1 npx vitest run test/unit/docs/published-schema.test.ts';

/** Compares the JSON in `path` with `expected` (as JSON: formatting is biome's business). */
function checkFile(path: string, expected: unknown): void {
  const plain = JSON.parse(JSON.stringify(expected));
  const actual = JSON.parse(readFileSync(path, 'utf8'));
  if (update && JSON.stringify(actual) !== JSON.stringify(plain)) writeFileSync(path, `${JSON.stringify(plain, null, 2)}\n`);
  else expect(actual, `${path} is out of date: ${hint}`).toStrictEqual(plain);
}

/** The example: the default topology after `stop s2` (m1 fails over to s1, v2 goes offline). */
function exampleStatus() {
  const model = createGroupModel(defaultTopology());
  const result = model.step(model.initial, { type: 'stop', server: 's2' });
  if (result.refusal) throw new Error(`stop s2 was refused: ${result.refusal.code}`);
  return groupStatus(model, result.state);
}

describe('docs/schema: the published CF-2 status shape', () => {
  it('CF-2 group-status.json is the JSON Schema of contracts/status.ts', () => {
    checkFile('docs/schema/group-status.json', GroupStatusSchema);
  });

  it('CF-2 group-status.example.json is what the model reports after stop s2, and validates against the published schema', () => {
    const example = exampleStatus();
    checkFile('docs/schema/group-status.example.json', example);
    const validate = new Ajv2020({ allErrors: true }).compile(JSON.parse(readFileSync('docs/schema/group-status.json', 'utf8')));
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
  });

  it('command-manifest.json is the schema of a command manifest, and both examples validate against it', () => {
    checkFile('docs/schema/command-manifest.json', CommandManifestSchema);
    const validate = new Ajv2020({ allErrors: true }).compile(JSON.parse(readFileSync('docs/schema/command-manifest.json', 'utf8')));
    for (const example of ['examples/engine-cli/manifest.json', 'examples/nbdkit-group/manifest.json']) {
      const manifest = JSON.parse(readFileSync(example, 'utf8'));
      expect(validate(manifest), `${example}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });
});
