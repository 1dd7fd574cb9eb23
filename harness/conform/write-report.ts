// `--report DIR`: report.json (with its schema beside it, report.schema.json), junit.xml, report.html
// (harness/report/) and one text file per failing path (failures/<path id>.txt: the formatted failure, the path's log and
// the last host operations on each disk).

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Plan } from '../plan/types.js';
import { formatFailureFile } from './format-failure.js';
import { junitXml } from './junit.js';
import { publishedReportSchema } from './report-schema.js';
import type { RunReport } from './types.js';

/** A path id as a file name. */
export function failureFileName(id: string): string {
  return `${id.replace(/[^a-zA-Z0-9._-]/g, '_')}.txt`;
}

/** Writes the report files into `dir` (created if needed); returns the files written. */
export async function writeReport(dir: string, report: RunReport, plan?: Plan): Promise<string[]> {
  await mkdir(join(dir, 'failures'), { recursive: true });
  const files: Array<[string, string]> = [
    ['report.json', `${JSON.stringify(report, null, 2)}\n`],
    ['report.schema.json', `${JSON.stringify(publishedReportSchema(), null, 2)}\n`],
    ['junit.xml', junitXml(report)],
    ...report.paths
      .filter((p) => p.outcome === 'failed')
      .map((p): [string, string] => [join('failures', failureFileName(p.id)), `${formatFailureFile(p)}\n`]),
  ];
  for (const [name, text] of files) await writeFile(join(dir, name), text);
  // The page people open: summary, coverage on the diagrams, each failure drawn (harness/report/).
  const { writeRunHtml } = await import('../report/write-run-html.js');
  const html = await writeRunHtml(report, dir, plan ? { plan } : {});
  return [...files.map(([name]) => join(dir, name)), html];
}
