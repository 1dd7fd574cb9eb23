/**
 * A set of explored states, each a fixed-width row of small non-negative integers (a model state
 * and the monitor's state), mapped to its index in discovery order. Rows live in one flat typed
 * array and are found by open addressing on a hash of their numbers: no string is built per
 * lookup, which made string keys in a Map the largest cost of exploration (issue 9).
 */
export class StateTable {
  private rows: Uint32Array;
  /** Per slot: row index (-1: empty), then the row's hash (compared before the row is touched). */
  private slots: Int32Array;
  private mask: number;
  private count = 0;

  constructor(
    /** Numbers per row. */
    readonly width: number,
    capacity = 1 << 12,
  ) {
    this.rows = new Uint32Array(capacity * width);
    const size = 1 << Math.ceil(Math.log2(capacity * 2));
    this.slots = new Int32Array(size * 2).fill(-1);
    this.mask = size - 1;
  }

  /** Number of rows. */
  get size(): number {
    return this.count;
  }

  /** Index of the row (`state` then `extra`), or -1 when it is not in the table. */
  find(state: readonly number[], extra: number): number {
    const w = this.width;
    const h = hash(state, extra) | 0;
    let slot = h & this.mask;
    for (;;) {
      const i = this.slots[2 * slot]!;
      if (i < 0) return -1;
      if (this.slots[2 * slot + 1] === h && this.equals(i * w, state, extra)) return i;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Adds the row (`state` then `extra`), which must not be in the table yet; returns its index. */
  add(state: readonly number[], extra: number): number {
    const w = this.width;
    if ((this.count + 1) * w > this.rows.length) {
      const rows = new Uint32Array(this.rows.length * 2);
      rows.set(this.rows);
      this.rows = rows;
    }
    if ((this.count + 1) * 4 > this.slots.length) this.rehash(this.slots.length);
    const i = this.count++;
    const base = i * w;
    for (let k = 0; k < w - 1; k++) this.rows[base + k] = state[k]!;
    this.rows[base + w - 1] = extra;
    this.place(i, hash(state, extra) | 0);
    return i;
  }

  private equals(base: number, state: readonly number[], extra: number): boolean {
    const rows = this.rows;
    const n = this.width - 1;
    if (rows[base + n] !== extra >>> 0) return false;
    for (let k = 0; k < n; k++) if (rows[base + k] !== state[k]) return false;
    return true;
  }

  private place(i: number, h: number): void {
    let slot = h & this.mask;
    while (this.slots[2 * slot]! >= 0) slot = (slot + 1) & this.mask;
    this.slots[2 * slot] = i;
    this.slots[2 * slot + 1] = h;
  }

  /** Doubles the slots (`size` slots now) and places every row again by its stored hash. */
  private rehash(size: number): void {
    const old = this.slots;
    this.slots = new Int32Array(size * 2).fill(-1);
    this.mask = size - 1;
    for (let s = 0; s < old.length; s += 2) if (old[s]! >= 0) this.place(old[s]!, old[s + 1]!);
  }
}

/** FNV-1a over the numbers of a row, then a final mix so that nearby rows spread over the slots. */
function hash(state: readonly number[], extra: number): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < state.length; k++) h = Math.imul(h ^ state[k]!, 0x01000193);
  h = Math.imul(h ^ (extra >>> 0), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/**
 * A map from pairs of 32-bit numbers (a model state's number and a monitor state) to indices,
 * by open addressing with the keys stored in the slots themselves, so that a lookup touches one
 * place in memory (explore's explored states).
 */
export class PairTable {
  /** Per slot: first key, second key, index + 1 (0: empty). */
  private slots: Int32Array;
  private mask: number;
  private count = 0;

  constructor(capacity = 1 << 12) {
    const size = 1 << Math.ceil(Math.log2(capacity * 2));
    this.slots = new Int32Array(size * 3);
    this.mask = size - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The index stored for (a, b), or -1. */
  get(a: number, b: number): number {
    const slots = this.slots;
    const a32 = a | 0;
    const b32 = b | 0;
    let slot = pairHash(a32, b32) & this.mask;
    for (;;) {
      const at = slot * 3;
      const v = slots[at + 2]!;
      if (v === 0) return -1;
      if (slots[at] === a32 && slots[at + 1] === b32) return v - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Stores `index` for (a, b), which must not be in the table yet. */
  set(a: number, b: number, index: number): void {
    if ((this.count + 1) * 2 > this.slots.length / 3) this.rehash();
    this.count++;
    this.place(a | 0, b | 0, index + 1);
  }

  private place(a: number, b: number, v: number): void {
    const slots = this.slots;
    let slot = pairHash(a, b) & this.mask;
    while (slots[slot * 3 + 2] !== 0) slot = (slot + 1) & this.mask;
    slots[slot * 3] = a;
    slots[slot * 3 + 1] = b;
    slots[slot * 3 + 2] = v;
  }

  private rehash(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.mask = this.slots.length / 3 - 1;
    for (let at = 0; at < old.length; at += 3) if (old[at + 2] !== 0) this.place(old[at]!, old[at + 1]!, old[at + 2]!);
  }
}

function pairHash(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h ^= Math.imul(b ^ (h >>> 15), 0xc2b2ae35);
  h ^= h >>> 13;
  h = Math.imul(h, 0x27d4eb2f);
  h ^= h >>> 16;
  return h >>> 0;
}
