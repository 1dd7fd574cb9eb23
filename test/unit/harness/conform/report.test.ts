// `--report DIR`: report.json valid against the schema published beside it, a well-formed JUnit
// XML file with one testcase per path (failures with their text, not-applicable paths skipped
// with the reason), and a file per failure.

import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createModelAdapter } from '../../../../adapters/model/index.js';
import type { Adapter } from '../../../../adapters/types.js';
import { runPlan } from '../../../../harness/conform/run-plan.js';
import type { RunReport } from '../../../../harness/conform/types.js';
import { writeReport } from '../../../../harness/conform/write-report.js';
import { handPlan } from './hand-plan.js';

/** The model adapter that answers refusals with a wrong code and cannot crash servers. */
function limitedAdapter(): Adapter {
  const base = createModelAdapter({ lies: { wrongRefusalCode: true } });
  return {
    name: 'model without crashes',
    capabilities(topology) {
      const c = base.capabilities(topology);
      return {
        ...c,
        events: c.events.filter((e) => e !== 'crash' && e !== 'siteCrash'),
        reasons: { crash: 'this product cannot crash a server on demand' },
      };
    },
    open: (topology, options) => base.open(topology, options),
  };
}

const plan = handPlan([
  { name: 'passes', spec: ['SRV-1', 'SRV-7'], steps: ['stop s1', 'start s1'] },
  { name: 'refused-wrongly', spec: ['SRV-12'], steps: ['start s1'] },
  { name: 'crashes', spec: ['SRV-10', 'SRV-11'], steps: ['crash s1', 'powerOn s1', 'start s1', 'recoveryComplete m1'] },
]);

/** A strict XML well-formedness check: elements nest and close, attributes are quoted, entities are known. */
function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const token = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  for (const m of body.matchAll(token)) {
    const [, close, name, , selfClose, text, stray] = m;
    if (stray) problems.push(`stray < at ${m.index}`);
    else if (text !== undefined) {
      for (const e of text.matchAll(/&([^;\s]*);?/g)) if (!/^(amp|lt|gt|quot|apos)$/.test(e[1]!)) problems.push(`bad entity ${e[0]}`);
    } else if (close) {
      if (stack.pop() !== name) problems.push(`</${name}> closes the wrong element`);
    } else if (!selfClose) stack.push(name!);
  }
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(', ')}`);
  return problems;
}

describe('report files', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('report.json validates against report.schema.json; passed, failed and not applicable paths are all there', async () => {
    const report = await runPlan({ adapter: limitedAdapter(), plan, jobs: 2 });
    dir = await mkdtemp(join(tmpdir(), 'sanspec-report-'));
    await writeReport(dir, report);
    const schema = JSON.parse(await readFile(join(dir, 'report.schema.json'), 'utf8'));
    const json = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as RunReport;
    const validate = new Ajv2020({
      strict: true,
      allErrors: true,
      formats: { 'date-time': /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/ },
    }).compile(schema);
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    expect(json.paths.map((p) => [p.id, p.outcome])).toEqual([
      ['hand-passes', 'passed'],
      ['hand-refused-wrongly', 'failed'],
      ['hand-crashes', 'notApplicable'],
    ]);
    expect(json.paths[2]!.reason).toBe('the adapter cannot perform event "crash": this product cannot crash a server on demand');
    expect(json.totals).toEqual({ paths: 3, passed: 1, failed: 1, notApplicable: 1, steps: 3 });
    expect(json.summary.find((s) => s.spec === 'SRV-12')).toEqual({ spec: 'SRV-12', paths: 1, passed: 0, failed: 1, notApplicable: 0 });
    // A report that breaks the schema is rejected by it.
    expect(validate({ ...json, totals: { ...json.totals, failed: -1 } })).toBe(false);
  });

  it('junit.xml is well-formed, one testcase per path named by id and SPEC IDs; failures/<id>.txt holds the failure', async () => {
    const report = await runPlan({ adapter: limitedAdapter(), plan, jobs: 2 });
    dir = await mkdtemp(join(tmpdir(), 'sanspec-report-'));
    await writeReport(dir, report);
    const xml = await readFile(join(dir, 'junit.xml'), 'utf8');
    expect(xmlProblems(xml)).toEqual([]);
    expect([...xml.matchAll(/<testcase [^>]*name="([^"]*)"/g)].map((m) => m[1])).toEqual([
      'hand-passes [SRV-1 SRV-7]',
      'hand-refused-wrongly [SRV-12]',
      'hand-crashes [SRV-10 SRV-11]',
    ]);
    expect(xml).toMatch(/<testsuite [^>]*tests="3" failures="1" errors="0" skipped="1"/);
    expect(xml).toMatch(/<failure message="SRV-12: the model refuses &quot;start s1&quot; here with SRV_ALREADY_RUNNING/);
    expect(xml).toMatch(
      /<skipped message="the adapter cannot perform event &quot;crash&quot;: this product cannot crash a server on demand"\/>/,
    );
    expect(await readdir(join(dir, 'failures'))).toEqual(['hand-refused-wrongly.txt']);
    const text = await readFile(join(dir, 'failures', 'hand-refused-wrongly.txt'), 'utf8');
    expect(text).toMatch(/^FAILED hand-refused-wrongly {2}\[SRV-12\]\n {2}SRV-12 /);
    expect(text).toMatch(/^history of m1 \(\d+ operation\(s\)\):$/m);
  });

  it('the XML check used above rejects broken XML', () => {
    expect(xmlProblems('<a><b></a>')).not.toEqual([]);
    expect(xmlProblems('<a x="1 < 2"></a>')).not.toEqual([]);
    expect(xmlProblems('<a>&nbsp;</a>')).not.toEqual([]);
    expect(xmlProblems('<a><b/>x &amp; y</a>')).toEqual([]);
  });
});
