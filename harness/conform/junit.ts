// JUnit XML of a run, for CI dashboards: one testsuite, one testcase per path named
// `<path id> [SPEC IDs]`, a failing path's formatted failure as the failure text, a path that is
// not applicable as skipped with its reason. A failing path carries its minimized path and replay
// command twice: as testcase properties (for tools) and in the failure text (for people).

import { formatFailure } from './format-failure.js';
import { stepLabel } from '../plan/path-id.js';
import type { PathResult, RunReport } from './types.js';

/** Escapes text for XML character data and attribute values; drops characters XML 1.0 cannot hold. */
export function xmlEscape(text: string): string {
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters XML 1.0 forbids.
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/** A failing path's properties: the minimized path, how often it reproduced, and the replay command. */
function properties(p: PathResult): string[] {
  const props: Array<[string, string]> = [];
  const m = p.minimized;
  if (m) {
    props.push(['minimized.path', m.path.steps.map((s, i) => `${i + 1}. ${stepLabel(s)}`).join('; ')]);
    props.push(['minimized.length', `${m.path.steps.length} of ${m.originalLength}`]);
    props.push(['minimized.reproduced', `${m.reproduction.failures}/${m.reproduction.runs} ${m.reproduction.verdict}`]);
  }
  if (p.replay) props.push(['replay.file', p.replay.file], ['replay.command', p.replay.command]);
  if (props.length === 0) return [];
  return [
    '      <properties>',
    ...props.map(([name, value]) => `        <property name="${xmlEscape(name)}" value="${xmlEscape(value)}"/>`),
    '      </properties>',
  ];
}

/** The JUnit XML text of a run report. */
export function junitXml(report: RunReport): string {
  const name = `sanspec ${report.adapter} ${report.topology} ${report.criterion}${report.shard ? ` shard ${report.shard.index}/${report.shard.count}` : ''}`;
  const { totals } = report;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlEscape(name)}" tests="${totals.paths}" failures="${totals.failed}" skipped="${totals.notApplicable}" time="${seconds(report.durationMs)}">`,
    `  <testsuite name="${xmlEscape(name)}" tests="${totals.paths}" failures="${totals.failed}" errors="0" skipped="${totals.notApplicable}" time="${seconds(report.durationMs)}" timestamp="${xmlEscape(report.startedAt)}">`,
  ];
  for (const p of report.paths) {
    const open = `    <testcase classname="${xmlEscape(`sanspec.${report.topology}`)}" name="${xmlEscape(`${p.id} [${p.spec.join(' ')}]`)}" time="${seconds(p.durationMs)}"`;
    if (p.outcome === 'passed') {
      lines.push(`${open}/>`);
    } else if (p.outcome === 'notApplicable') {
      lines.push(`${open}>`, `      <skipped message="${xmlEscape(p.reason ?? 'not applicable')}"/>`, '    </testcase>');
    } else {
      const f = p.failure;
      const message = f ? `${f.rule}: ${f.message}` : 'failed';
      lines.push(`${open}>`, ...properties(p));
      lines.push(
        `      <failure message="${xmlEscape(message)}" type="${xmlEscape(f?.rule ?? 'failed')}">${xmlEscape(formatFailure(p))}</failure>`,
        '    </testcase>',
      );
    }
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
