// Questions the runner asks of the candidates (the model states the system may be in), answered
// only when every candidate agrees: a check of something the candidates disagree on would judge
// a race the system is allowed to win either way.

import type { GroupState } from '../../models/group.js';
import type { Alua, CacheMode, HostAccess } from '../../models/types.js';
import type { Predictor } from './predictor.js';

/** The one value every candidate gives, or null when they differ. */
function agreed<T>(states: readonly GroupState[], f: (s: GroupState) => T): T | null {
  let value: T | null = null;
  let first = true;
  for (const s of states) {
    const v = f(s);
    if (first) value = v;
    else if (v !== value) return null;
    first = false;
  }
  return value;
}

/** Host access to `vdisk` in every candidate, or null. */
export function agreedAccess(p: Predictor, states: readonly GroupState[], vdisk: string): HostAccess | null {
  return agreed(states, (s) => p.status(s).virtualDisks.find((v) => v.name === vdisk)?.hostAccess ?? 'disabled');
}

/** The ALUA state of `host`'s path to `server` for `vdisk`, as every candidate reports it, or null. */
export function agreedAlua(p: Predictor, states: readonly GroupState[], host: string, server: string, vdisk: string): Alua | null {
  return agreed(states, (s) => p.status(s).paths.find((x) => x.host === host && x.server === server)?.alua[vdisk] ?? 'unavailable');
}

/** The effective cache mode of a running server in every candidate, or null (stopped somewhere, or they differ). */
export function agreedCache(p: Predictor, states: readonly GroupState[], server: string): { mode: CacheMode; battery: boolean } | null {
  const key = agreed(states, (s) => {
    const x = p.status(s).servers.find((y) => y.name === server);
    return x && x.power === 'on' && x.state === 'running' ? `${x.cache.effective} ${x.ups}` : null;
  });
  if (!key) return null;
  const [mode, ups] = key.split(' ');
  return { mode: mode as CacheMode, battery: ups === 'battery' };
}

/** Whether every copy of mirrored `vdisk` is up to date in every candidate. */
export function copiesInSync(p: Predictor, states: readonly GroupState[], vdisk: string): boolean {
  return (
    states.length > 0 &&
    states.every(
      (s) =>
        p
          .status(s)
          .virtualDisks.find((v) => v.name === vdisk)
          ?.copies.every((c) => c.dataStatus === 'upToDate') === true,
    )
  );
}

/** Whether host writes to `vdisk` leave every candidate as it is (so unplanned writes do not change what the model predicts). */
export function writeKeepsState(p: Predictor, states: readonly GroupState[], vdisk: string): boolean {
  return states.every((s) => {
    const r = p.model.step(s, { type: 'write', vdisk });
    return r.refusal === null && p.model.key(r.state) === p.model.key(s);
  });
}
