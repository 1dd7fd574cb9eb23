// A path as a Mermaid sequence diagram: the operator and the world act on servers, hosts do I/O
// through the server that serves the disk (its Active/Optimized path, as the model predicts),
// refused steps end in a cross, and after each step a note says what changed in the model's
// status (server states, disk states, copy data statuses, the mirror link). The failure is a
// red block after the step it was seen at, with its evidence: the offending writes and reads.

import type { GroupEvent, GroupStatus, Topology } from '../../models/types.js';
import { generatedHeader, MermaidIds, mermaidLines, mermaidText } from '../diagram/mermaid-text.js';
import type { HistoryEntry } from '../workload/types.js';

/** One step to draw. */
export interface SequenceStep {
  /** The step as an operator types it (`stop s1`). */
  readonly label: string;
  readonly event: GroupEvent;
  /** Refusal code, or null when the step was accepted. */
  readonly refused: string | null;
  /** Model status before and after the step (after = before when refused). */
  readonly before: GroupStatus;
  readonly after: GroupStatus;
}

/** The failure to draw. */
export interface SequenceFailure {
  /** Index of the step after which it was seen; -1 before the first, the number of steps for the final checks. */
  readonly step: number;
  /** Lines of the note: the rule and what went wrong. */
  readonly lines: readonly string[];
  /** The offending host operations, drawn as messages. */
  readonly evidence?: ReadonlyArray<{ readonly vdisk: string; readonly entry: HistoryEntry }>;
}

/** Most evidence entries drawn per failure (the page lists all of them). */
const EVIDENCE_MAX = 8;

/** What changed between two statuses, one short line each, with the servers it concerns. */
export function statusChanges(before: GroupStatus, after: GroupStatus): Array<{ servers: string[]; text: string }> {
  const changes: Array<{ servers: string[]; text: string }> = [];
  const server = (s: GroupStatus['servers'][number]) => (s.power === 'off' ? `off (${s.seenAs})` : s.state);
  after.servers.forEach((s, i) => {
    const b = before.servers[i];
    if (!b) return;
    if (server(b) !== server(s)) changes.push({ servers: [s.name], text: `${s.name} ${server(b)} → ${server(s)}` });
    if (b.ups !== s.ups) changes.push({ servers: [s.name], text: `${s.name} on ${s.ups}` });
    if (b.cache.pending !== s.cache.pending || b.cache.applied !== s.cache.applied) {
      changes.push({
        servers: [s.name],
        text: `${s.name} cache ${s.cache.applied}${s.cache.pending ? `, ${s.cache.pending} pending` : ''}`,
      });
    }
  });
  after.virtualDisks.forEach((v, i) => {
    const b = before.virtualDisks[i];
    if (!b) return;
    const servers = v.copies.map((c) => c.server);
    if (b.status !== v.status) changes.push({ servers, text: `${v.name} ${b.status} → ${v.status}` });
    if (b.hostAccess !== v.hostAccess) changes.push({ servers, text: `${v.name} access ${v.hostAccess}` });
    if (v.kind === 'mirrored') {
      v.copies.forEach((c, j) => {
        const bc = b.copies[j];
        if (bc && bc.dataStatus !== c.dataStatus)
          changes.push({ servers: [c.server], text: `${v.name}@${c.server} ${bc.dataStatus} → ${c.dataStatus}` });
      });
    }
  });
  after.mirrorLinks.forEach((l, i) => {
    const b = before.mirrorLinks[i];
    if (b && b.up !== l.up) changes.push({ servers: [...l.servers], text: `link ${l.servers.join('-')} ${l.up ? 'up' : 'down'}` });
  });
  return changes;
}

/** Longest line of a note before it wraps. */
const NOTE_LINE = 46;

/** Lines wrapped at word boundaries to NOTE_LINE characters. */
export function wrapLines(lines: readonly string[]): string[] {
  return lines.flatMap((line) => {
    const out: string[] = [];
    for (const word of line.split(' ')) {
      const last = out[out.length - 1];
      if (last !== undefined && last.length + word.length + 1 <= NOTE_LINE) out[out.length - 1] = `${last} ${word}`;
      else out.push(word);
    }
    return out;
  });
}

/** The server a host's I/O to a disk goes to: its Active/Optimized path, else Active/Non-optimized, else none. */
function servingServer(status: GroupStatus, vdisk: string): string | null {
  for (const alua of ['activeOptimized', 'activeNonOptimized'] as const) {
    const p = status.paths.find((x) => x.online && x.alua[vdisk] === alua);
    if (p) return p.server;
  }
  return null;
}

/** Options of the sequence diagram. */
export interface SequenceOptions {
  /** What the diagram shows, for the header comment. */
  readonly from: string;
}

/** Mermaid sequenceDiagram source of a path. */
export function pathSequence(
  topology: Topology,
  steps: readonly SequenceStep[],
  failure: SequenceFailure | null,
  options: SequenceOptions,
): string {
  const ids = new MermaidIds();
  const op = ids.id(['operator'], 'op');
  const hosts = ids.id(['hosts'], 'hosts');
  const servers = new Map(topology.servers.map((s) => [s.name, ids.id(['srv', s.name], s.name)]));
  const serverOf = (entry: HistoryEntry) =>
    entry.path ? [...servers.keys()].find((name) => entry.path!.split(/[^a-z0-9-]+/).includes(name)) : undefined;
  // Evidence whose path names no server is drawn against the disk itself.
  const disks = new Map<string, string>();
  for (const { vdisk, entry } of (failure?.evidence ?? []).slice(0, EVIDENCE_MAX)) {
    if (!serverOf(entry) && !disks.has(vdisk)) disks.set(vdisk, ids.id(['disk', vdisk], vdisk));
  }
  const out = [generatedHeader(options.from), 'sequenceDiagram', `  participant ${op} as ${mermaidText('operator · world')}`];
  for (const [name, id] of servers) out.push(`  participant ${id} as ${mermaidText(name)}`);
  for (const [name, id] of disks) out.push(`  participant ${id} as ${mermaidText(`disk ${name}`)}`);
  out.push(`  participant ${hosts} as ${mermaidText(`hosts ${topology.hosts.join(', ')}`)}`);
  const all = [...servers.values()];
  const over = (names: readonly string[]) => {
    const list = names.map((n) => servers.get(n)).filter((x): x is string => x !== undefined);
    const ends = list.length > 0 ? list : all;
    return ends.length > 1 ? `${ends[0]},${ends[ends.length - 1]}` : ends[0]!;
  };
  const diskServers = (vdisk: string) => {
    const v = topology.virtualDisks.find((d) => d.name === vdisk);
    return v ? (v.kind === 'single' ? [v.server] : [...v.copies]) : [];
  };

  const drawFailure = (f: SequenceFailure) => {
    out.push('  rect rgb(253, 228, 226)');
    out.push(`    Note over ${op},${hosts}: ${mermaidLines(wrapLines(f.lines))}`);
    for (const { vdisk, entry } of (f.evidence ?? []).slice(0, EVIDENCE_MAX)) {
      const named = serverOf(entry);
      const target = named ? servers.get(named)! : disks.get(vdisk)!;
      const outcome = entry.outcome === 'ok' ? '' : ` (${entry.outcome})`;
      if (entry.kind === 'read') {
        const got = entry.corrupt
          ? `${entry.corrupt.damage}`
          : entry.value === 0
            ? 'zeros'
            : entry.value === undefined
              ? '?'
              : `write ${entry.value}`;
        out.push(`    ${target}-->>${hosts}: ${mermaidText(`read #${entry.id} ${vdisk} block ${entry.block ?? '?'} → ${got}${outcome}`)}`);
      } else if (entry.kind === 'write') {
        out.push(
          `    ${hosts}->>${target}: ${mermaidText(`write #${entry.id} ${vdisk} block ${entry.block ?? '?'}${entry.fua ? ' FUA' : ''}${outcome}`)}`,
        );
      } else {
        out.push(`    ${hosts}->>${target}: ${mermaidText(`flush #${entry.id} ${vdisk}${outcome}`)}`);
      }
    }
    const more = (f.evidence?.length ?? 0) - EVIDENCE_MAX;
    if (more > 0) out.push(`    Note over ${op},${hosts}: ${mermaidText(`${more} more history entries below`)}`);
    out.push('  end');
  };

  if (failure && failure.step < 0) drawFailure(failure);
  steps.forEach((s, i) => {
    const e = s.event;
    const arrow = s.refused ? '-x' : '->>';
    const text = mermaidText(s.refused ? `${s.label} ✗ ${s.refused}` : s.label);
    const n = `${i + 1}. `;
    if ('server' in e && servers.has(e.server)) {
      out.push(`  ${op}${arrow}${servers.get(e.server)}: ${n}${text}`);
    } else if ('servers' in e) {
      const [a, b] = e.servers.map((x) => servers.get(x));
      out.push(a && b ? `  ${a}${arrow}${b}: ${n}${text}` : `  Note over ${over([])}: ${n}${text}`);
    } else if ('vdisk' in e && (e.type === 'write' || e.type === 'flush')) {
      const to = servingServer(s.before, e.vdisk) ?? diskServers(e.vdisk)[0];
      const target = to ? servers.get(to) : undefined;
      out.push(
        target ? `  ${hosts}${servingServer(s.before, e.vdisk) ? arrow : '-x'}${target}: ${n}${text}` : `  Note over ${hosts}: ${n}${text}`,
      );
    } else if ('vdisk' in e && e.type === 'forceMirrorRecovery' && servers.has(e.copy)) {
      out.push(`  ${op}${arrow}${servers.get(e.copy)}: ${n}${text}`);
    } else if ('vdisk' in e) {
      out.push(`  Note over ${over(diskServers(e.vdisk))}: ${n}${text}`);
    } else {
      out.push(`  Note over ${over([])}: ${n}${text}`);
    }
    const changes = statusChanges(s.before, s.after);
    if (changes.length > 0) {
      out.push(`  Note over ${over([...new Set(changes.flatMap((c) => c.servers))])}: ${mermaidLines(changes.map((c) => c.text))}`);
    }
    if (failure && failure.step === i) drawFailure(failure);
  });
  if (failure && failure.step >= steps.length) drawFailure(failure);
  return `${out.join('\n')}\n`;
}
