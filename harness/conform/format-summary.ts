// The summary after a run: a table per SPEC ID (paths, passed, failed, not applicable), then the
// totals on one line.

import type { RunReport } from './types.js';

/** The summary table and totals of a run, as printed on the terminal. */
export function formatSummary(report: RunReport): string {
  const header = ['SPEC ID', 'paths', 'passed', 'failed', 'n/a'];
  const rows = report.summary.map((s) => [s.spec, String(s.paths), String(s.passed), String(s.failed), String(s.notApplicable)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const t = report.totals;
  const shard = report.shard ? `, shard ${report.shard.index}/${report.shard.count}` : '';
  return [
    line(header),
    ...rows.map(line),
    '',
    `${t.paths} path(s): ${t.passed} passed, ${t.failed} failed, ${t.notApplicable} not applicable; ${t.steps} steps in ${(report.durationMs / 1000).toFixed(1)} s`,
    `adapter ${report.adapter}, topology ${report.topology}, criterion ${report.criterion}${shard}, seed ${report.seed}${report.interrupted ? ' (INTERRUPTED)' : ''}`,
  ].join('\n');
}
