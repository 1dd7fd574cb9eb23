// A failing path as text, in the look of `sanspec check`: the rule with its SPEC ID, one sentence
// of what went wrong, the path as numbered steps with the status the system settled in after each
// (the step where it broke marked), then the evidence: expected vs observed status, field by field,
// or the offending blocks with the value found, the values allowed and the history entries behind
// them. One failure fits on one screen: long paths, diffs and evidence are cut with a count.

import { eventLabel } from '../check/format.js';
import { diffValue } from './status-diff.js';
import type { HistoryEntry } from '../workload/types.js';
import type { Minimization, PathResult } from './types.js';

/** What each rule the runner reports promises, in a few words. */
export const ruleTitles: Record<string, string> = {
  'CF-1': 'the reported status equals the model prediction',
  'CF-2': 'the system reports its status through the adapter contract',
  'SRV-6': 'cache settings take effect as the status reports them',
  'SRV-12': 'a command that does not apply is refused with the model code',
  'SRV-13': 'on battery, write caching is write-through',
  'PTH-3': 'paths serve hosts as their ALUA state says',
  'VD-1': 'a single virtual disk is accessible iff its server runs',
  'MIR-2': 'hosts keep I/O going through the other copy',
  'DS-1': 'graceful operations lose no acknowledged write',
  'DS-2': 'one crash with a serving partner loses no acknowledged write',
  'DS-3': 'durable writes survive crashes',
  'DS-4': 'no stale read',
  'DS-5': 'no phantom data',
  'DS-6': 'copies are identical after recovery',
  'DS-7': 'I/O without host access fails and has no effect',
  'DS-8': 'no torn block',
};

/** Steps shown around the failing one when a path is long. */
const CONTEXT = 4;
const MAX_DIFF = 12;
const MAX_FINDINGS = 3;
const MAX_EVIDENCE = 5;

/** One history entry on one line: `#12 write block 7 = 12 FUA ok [10.2 .. 10.9] h1 step 3 via h1->s1`. */
export function historyLine(e: HistoryEntry): string {
  const t = (x: number | undefined) => (x === undefined ? '?' : x.toFixed(1));
  const what =
    e.kind === 'flush'
      ? 'flush'
      : e.kind === 'write'
        ? `write block ${e.block} = ${e.value ?? e.id}`
        : `read block ${e.block} -> ${e.corrupt ? `corrupt (${e.corrupt.damage})` : e.value === undefined ? '-' : e.value === 0 ? 'zeros' : `write ${e.value}`}`;
  const flags = [e.fua ? 'FUA' : '', e.accessDisabled ? 'access-disabled' : ''].filter(Boolean).join(' ');
  const where = [e.host ?? '', e.step === undefined ? '' : e.step < 0 ? 'initial' : `step ${e.step + 1}`, e.path ? `via ${e.path}` : '']
    .filter(Boolean)
    .join(' ');
  return `#${e.id} ${what}${flags ? ` ${flags}` : ''} ${e.outcome} [${t(e.invokedAt)} .. ${t(e.completedAt)} ms]${where ? ` ${where}` : ''}${e.error ? ` (${e.error})` : ''}`;
}

/** Which steps to show: all of a short path, else the start, the steps around the failure, and the end. */
function shownSteps(total: number, failed: number): number[] {
  if (total <= 2 * CONTEXT + 6) return Array.from({ length: total }, (_, i) => i);
  const keep = new Set<number>([0, 1, total - 1]);
  for (let i = Math.max(0, failed - CONTEXT); i <= Math.min(total - 1, failed + 1); i++) keep.add(i);
  return [...keep].sort((a, b) => a - b);
}

/**
 * The failure of a failed path, formatted for a terminal (about 40 lines at most). When the run
 * minimized it, the minimized path and its failure are shown, with a line on how it was found and
 * how often it reproduced; the replay command comes last.
 */
export function formatFailure(result: PathResult): string {
  const m = result.minimized;
  const f = m?.failure ?? result.failure;
  if (!f) return `${result.id}: ${result.outcome}${result.reason ? ` (${result.reason})` : ''}`;
  const path = m?.path ?? result.path;
  const records = m?.steps ?? result.steps;
  const steps = path.steps;
  const title = ruleTitles[f.rule];
  const lines = [
    `FAILED ${result.id}  [${result.spec.join(' ')}]`,
    `  ${f.rule}${title ? ` (${title})` : ''}${f.code ? ` ${f.code}` : ''}`,
    `  ${f.step < 0 ? 'in the initial state' : f.step >= steps.length ? 'in the final checks' : `at step ${f.step + 1}`}: ${f.message}`,
  ];
  if (m) lines.push(`  ${minimizedLine(m)}`);
  lines.push(`  ${m ? `minimized path ${path.id}` : 'path'}, ${steps.length} step(s):`);
  const label = (i: number) => `${steps[i]!.overlapIo ? '~' : ''}${eventLabel(steps[i]!.event)}`;
  const width = Math.max(8, ...steps.map((_, i) => label(i).length));
  lines.push(`  ${f.step === -1 ? '>' : ' '} ${'0'.padStart(3)}. initial`);
  let previous = -1;
  for (const i of shownSteps(steps.length, f.step)) {
    if (i > previous + 1) lines.push(`        ... ${i - previous - 1} step(s)`);
    previous = i;
    const record = records[i];
    const answer = record ? (typeof record.result === 'string' ? record.result : `refused ${record.result.refused}`) : 'not run';
    const mark = i === f.step ? '>' : ' ';
    const text = label(i);
    const status = record?.status ? `  ${record.status}` : '';
    lines.push(`  ${mark} ${String(i + 1).padStart(3)}. ${text.padEnd(width)} ${answer}${i === f.step ? '   <- broke here' : status}`);
  }
  if (previous < steps.length - 1) lines.push(`        ... ${steps.length - 1 - previous} step(s)`);
  if (f.diff && f.diff.length > 0) {
    lines.push('  expected vs observed:');
    for (const d of f.diff.slice(0, MAX_DIFF))
      lines.push(`    ${d.field}: expected ${diffValue(d.expected)}, observed ${diffValue(d.observed)}`);
    if (f.diff.length > MAX_DIFF) lines.push(`    ... and ${f.diff.length - MAX_DIFF} more field(s)`);
  }
  if (f.data && f.data.length > 0) {
    lines.push('  evidence:');
    for (const d of f.data.slice(0, MAX_FINDINGS)) {
      lines.push(`    ${d.vdisk} block ${d.block}: found ${d.found}; allowed: ${d.allowed.join(', ') || 'nothing'}`);
      for (const e of d.evidence.slice(0, MAX_EVIDENCE)) lines.push(`      ${historyLine(e)}`);
      if (d.evidence.length > MAX_EVIDENCE) lines.push(`      ... and ${d.evidence.length - MAX_EVIDENCE} more entries`);
    }
    if (f.data.length > MAX_FINDINGS) lines.push(`    ... and ${f.data.length - MAX_FINDINGS} more finding(s) in the report`);
  }
  if (result.replay) lines.push(`  replay: ${result.replay.command}`);
  return lines.join('\n');
}

/** How a path was minimized, on one line: `minimized 30 -> 1 step(s) (prefix 8, 12 runs, 1.2 s); reproduced 3/3: deterministic`. */
export function minimizedLine(m: Minimization): string {
  const r = m.reproduction;
  const skipped = m.invalidCandidates > 0 ? `, ${m.invalidCandidates} skipped by the model` : '';
  const budget = m.budgetExhausted ? ', time budget ran out: maybe not minimal' : '';
  const reproduced = r.verdict === 'unchecked' ? 'not re-run' : `reproduced ${r.failures}/${r.runs}: ${r.verdict}`;
  return `minimized ${m.originalLength} -> ${m.path.steps.length} step(s) (prefix ${m.prefixLength}, ${m.candidateRuns} run(s)${skipped}, ${(m.durationMs / 1000).toFixed(1)} s${budget}); ${reproduced}`;
}

/** A failing path's report file: the failure, the path's log, and the last host operations on each disk. */
export function formatFailureFile(result: PathResult): string {
  const lines = [formatFailure(result), ''];
  if (result.minimized && result.failure) {
    // The failure as first found, on the original path.
    lines.push(
      `as first found, on path ${result.id}:`,
      ...formatFailure({ ...result, minimized: undefined, replay: undefined })
        .split('\n')
        .slice(1),
      '',
    );
  }
  if (result.log && result.log.length > 0) lines.push('log:', ...result.log.map((l) => `  ${l}`), '');
  for (const h of result.history ?? []) {
    const cut = h.total > h.entries.length ? `, the last ${h.entries.length} of ${h.total}` : '';
    lines.push(`history of ${h.vdisk} (${h.total} operation(s)${cut}):`, ...h.entries.map((e) => `  ${historyLine(e)}`), '');
  }
  return lines.join('\n');
}
