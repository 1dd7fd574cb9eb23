// Violations as text, with their evidence, for assertion messages and reports.

import type { Violation } from './types.js';

/** One line per violation, with its evidence, for assertion messages. */
export function formatViolations(violations: readonly Violation[], limit = 20): string {
  const lines: string[] = [];
  for (const v of violations.slice(0, limit)) {
    lines.push(`${v.invariant} block ${v.block} (${v.seenBy === 'final-read' ? 'final read' : `read ${v.seenBy.readId}`}): ${v.message}`);
    for (const e of v.evidence) {
      const t = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(1));
      lines.push(
        `    #${e.id} ${e.kind}${e.block !== undefined ? ` block ${e.block}` : ''}${e.value !== undefined ? ` value ${e.value}` : ''}${e.fua ? ' fua' : ''} ${e.outcome} [${t(e.invokedAt)} .. ${t(e.completedAt)}]${e.path ? ` via ${e.path}` : ''}${e.error ? ` (${e.error})` : ''}`,
      );
    }
  }
  if (violations.length > limit) lines.push(`... and ${violations.length - limit} more`);
  return lines.join('\n');
}
