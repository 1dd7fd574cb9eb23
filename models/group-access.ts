// PTH-3: after every step, each path reports what its server offers hosts for each virtual disk
// the server holds (ALUA). Only disks whose snapshot changed are looked at, and the event each
// path receives is memoized per snapshot of the disk.

import type { EventObject } from 'xstate';
import type { GroupLayout } from './group-layout.js';
import { deliver } from './group-routing.js';
import { mirrorAccess, mirrorPhase, type MirrorContext } from './mirror-machine.js';
import type { Alua } from './types.js';

const aluaStates: readonly Alua[] = ['activeOptimized', 'activeNonOptimized', 'unavailable'];

/** One path that reports a disk's access, as offered by `server`. */
interface AccessTarget {
  path: number;
  server: string;
  /** Event id of setAccess for each ALUA state. */
  events: Record<Alua, number>;
  /** memo[snapshot of the disk]: event id to send. */
  memo: number[];
}

/** Pushes what each disk's servers offer to the paths to them. */
export class AccessRefresh {
  /** Per virtual disk: its component index and the paths that report it. */
  private readonly targets: Array<[number, AccessTarget[]]>;

  constructor(private readonly layout: GroupLayout) {
    const { components, topology } = layout;
    this.targets = topology.virtualDisks.map((v) => {
      const part = layout.vdiskIdx.get(v.name)!;
      const servers = v.kind === 'single' ? [v.server] : v.copies;
      const targets = servers.flatMap((server) =>
        (layout.pathsOf.get(server) ?? []).map((path) => ({
          path,
          server,
          events: Object.fromEntries(
            aluaStates.map((access) => [access, components[path]!.eventId({ type: 'setAccess', vdisk: v.name, access } as EventObject)]),
          ) as Record<Alua, number>,
          memo: [] as number[],
        })),
      );
      return [part, targets];
    });
  }

  /** What a virtual disk's server offers hosts in this snapshot of the disk (PTH-3). */
  private accessOf(vdisk: number, snap: number, server: string): Alua {
    const c = this.layout.components[vdisk]!;
    const s = c.snapshot(snap);
    if (c.kind === 'single') return s.value === 'online' ? 'activeOptimized' : 'unavailable';
    return mirrorAccess(s.context as MirrorContext, mirrorPhase(s.value), server);
  }

  /** Paths report what their server offers for each virtual disk that changed from `before` to `next`. */
  refresh(before: readonly number[], next: number[]): void {
    const components = this.layout.components;
    for (const [v, targets] of this.targets) {
      const snap = next[v]!;
      if (before[v] === snap) continue;
      for (const t of targets) {
        let event = t.memo[snap];
        if (event === undefined) event = t.memo[snap] = t.events[this.accessOf(v, snap, t.server)];
        deliver(components, next, t.path, event);
      }
    }
  }
}
