// The harness's one seeded generator (mulberry32): planners, the path runner and the verifying
// workload draw from it, so that a seed replays the same walk, the same steps and the same writes.

/** mulberry32 seeded by a 32-bit number: a small deterministic generator (0 <= x < 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
