// Which disks an action may have made lose acknowledged writes, read from the model's transition:
//   - a single virtual disk whose server crashed while running (its cache is gone, SRV-11; what
//     was durable survives, VD-2, DS-3);
//   - a mirrored virtual disk where the crash made a copy's `lostCache` true: no partner kept
//     serving, so the newest data was only in that server's cache (DS-3). Where a partner kept
//     serving, nothing may be lost (DS-2): the disk is only marked as having survived a crash;
//   - a mirrored virtual disk whose operator forced a copy online that was not the newest (MIR-11):
//     anything written before may be gone, or zeros (DS-4, DS-5 `forced`).

import type { GroupModel } from '../../models/group.js';
import type { MirrorContext } from '../../models/mirror-machine.js';
import { groupStatus } from '../../models/status.js';
import type { GroupEvent } from '../../models/types.js';
import type { Transition } from './predictor.js';

/** A disk that may have lost writes in an action. */
export interface DiskLoss {
  readonly vdisk: string;
  /** 'durable': a crash, durable writes survive; 'nothing': an older copy forced online. */
  readonly keeps: 'durable' | 'nothing';
}

/** What an action may have done to the disks' data. */
export interface ActionLosses {
  readonly losses: readonly DiskLoss[];
  /** Mirrored disks where a copy's server crashed while a partner kept serving (DS-2: nothing may be lost). */
  readonly survived: readonly string[];
}

const crashes = (e: GroupEvent) => e.type === 'crash' || e.type === 'siteCrash';

/** The losses of `event` over every transition the candidates took (any candidate's loss counts). */
export function lossesOf(model: GroupModel, event: GroupEvent, transitions: readonly Transition[]): ActionLosses {
  const losses = new Map<string, DiskLoss['keeps']>();
  const survived = new Set<string>();
  const lose = (vdisk: string, keeps: DiskLoss['keeps']) => {
    if (losses.get(vdisk) !== 'nothing') losses.set(vdisk, keeps);
  };
  const disks = model.topology.virtualDisks.map((v) => v.name);
  const mirrors = model.components.flatMap((c, i) => (c.kind === 'mirror' ? [{ name: c.name, i }] : []));
  for (const { from, to } of transitions) {
    if (crashes(event)) {
      const before = groupStatus(model, from);
      for (const v of model.topology.virtualDisks) {
        if (v.kind !== 'single') continue;
        const hit = event.type === 'siteCrash' || (event.type === 'crash' && event.server === v.server);
        if (hit && before.servers.find((s) => s.name === v.server)?.state === 'running') lose(v.name, 'durable');
      }
    }
    for (const { name, i } of mirrors) {
      const c = model.components[i]!;
      const a = c.snapshot(from[i]!).context as MirrorContext;
      const b = c.snapshot(to[i]!).context as MirrorContext;
      const lostCache = a.copies.some((x, k) => !x.lostCache && b.copies[k]!.lostCache);
      if (lostCache) lose(name, 'durable');
      else if (crashes(event) && a.copies.some((x, k) => x.up && !b.copies[k]!.up)) survived.add(name);
      if (event.type === 'forceMirrorRecovery' && event.vdisk === name) {
        const forced = a.copies.find((x) => x.server === event.copy);
        if (forced && forced.data !== 'current') lose(name, 'nothing');
      }
    }
  }
  const order = (a: string, b: string) => disks.indexOf(a) - disks.indexOf(b);
  return {
    losses: [...losses.keys()].sort(order).map((vdisk) => ({ vdisk, keeps: losses.get(vdisk)! })),
    survived: [...survived].sort(order),
  };
}
