// Generation records of mirrored copies (as DRBD's generation identifiers) and the decision,
// when two copies meet, of which is newest and what recovery the other needs (MIR-8..11).

/** What a copy persists about its data (mirror/<vdisk>.json). */
export interface GenerationRecord {
  version: 1;
  /** Id of the data generation this copy holds. Copies in sync hold the same generation. */
  gen: string;
  /** Earlier generations of this copy, most recent first (bounded). */
  history: string[];
  /**
   * The generation the partner held when it fell behind while this copy kept serving: the
   * change bitmap holds every region written since (MIR-3). Null: no usable log (full recovery).
   */
  bitmapBase: string | null;
  /** The partner crashed while this copy served: it needs full recovery (MIR-6). */
  peerNeedsFull: boolean;
  /** This copy has served hosts since its last graceful stop: a crash now may lose acknowledged writes. */
  serving: boolean;
  /** This copy's server crashed while it served hosts (SRV-11): its backend may lack acknowledged writes. */
  lostCache: boolean;
  /** The operator forced this generation online (MIR-11); recorded with when and what it replaced. */
  forced: { at: string; previousGen: string; peerGen: string | null } | null;
}

const HISTORY = 16;

/** A new, unique generation id. */
export function newGen(server: string): string {
  return `${server}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** The first record of a copy: both copies of a new disk start in sync (zeros on both). */
export function initialRecord(vdisk: string): GenerationRecord {
  return {
    version: 1,
    gen: `${vdisk}-initial`,
    history: [],
    bitmapBase: null,
    peerNeedsFull: false,
    serving: false,
    lostCache: false,
    forced: null,
  };
}

/** This copy moves to a new generation (it serves without its partner). */
export function advance(r: GenerationRecord, server: string, bitmapBase: string | null, peerNeedsFull: boolean): GenerationRecord {
  return { ...r, history: [r.gen, ...r.history].slice(0, HISTORY), gen: newGen(server), bitmapBase, peerNeedsFull };
}

/** The outcome of two copies meeting. */
export type Decision =
  /** Same data: both in sync. */
  | { kind: 'inSync' }
  /** `source` is newest; the other copy needs this recovery. */
  | { kind: 'recover'; source: 'self' | 'peer'; recovery: 'log' | 'full' }
  /** Nobody can tell which copy is newer: an operator must force one (MIR-11). */
  | { kind: 'undecidable'; reason: string };

/**
 * MIR-10: decides, from the two copies' records, the newest copy and the recovery needed.
 * The same function runs on both servers with the arguments swapped, so they agree.
 *
 * - Same generation: in sync, unless a crash lost cache: the copy that did not lose it is the
 *   source and the other needs full recovery; if both lost it, undecidable (MIR-11).
 * - One generation descends from the other: the descendant is newest. Log recovery if its
 *   change log starts at the other's generation and it lost no cache, else full (MIR-5, MIR-6).
 * - Neither descends from the other: a forced generation wins (MIR-11), else undecidable.
 */
export function decide(self: GenerationRecord, peer: GenerationRecord): Decision {
  if (self.gen === peer.gen) {
    if (self.lostCache && peer.lostCache) return { kind: 'undecidable', reason: 'both copies lost their caches in crashes while in sync' };
    if (self.lostCache) return { kind: 'recover', source: 'peer', recovery: 'full' };
    if (peer.lostCache) return { kind: 'recover', source: 'self', recovery: 'full' };
    return { kind: 'inSync' };
  }
  const from = (newer: GenerationRecord, older: GenerationRecord): 'log' | 'full' =>
    newer.bitmapBase === older.gen && !newer.peerNeedsFull && !newer.lostCache && !older.lostCache ? 'log' : 'full';
  if (self.history.includes(peer.gen) && !peer.history.includes(self.gen))
    return { kind: 'recover', source: 'self', recovery: from(self, peer) };
  if (peer.history.includes(self.gen) && !self.history.includes(peer.gen))
    return { kind: 'recover', source: 'peer', recovery: from(peer, self) };
  if (self.forced && self.forced.at > (peer.forced?.at ?? '')) return { kind: 'recover', source: 'self', recovery: 'full' };
  if (peer.forced && peer.forced.at > (self.forced?.at ?? '')) return { kind: 'recover', source: 'peer', recovery: 'full' };
  return { kind: 'undecidable', reason: `the copies hold unrelated generations ${self.gen} and ${peer.gen}` };
}
