// Contracts of the verifying workload: the recorded history of host operations, what a block
// read back decodes to, and the data-safety violations the checker reports (SPEC DS-1..DS-8).

/** What a host operation did, as far as the host can tell. */
export type OpOutcome = 'ok' | 'fail' | 'unknown';

/** Kinds of recorded host operations. */
export type OpKind = 'write' | 'flush' | 'read';

/** One host operation: invoked, then ok, fail (certainly no effect) or unknown (may have happened). */
export interface HistoryEntry {
  /** Unique, increasing in invocation order; a write's id is also the value it writes. */
  readonly id: number;
  /** What the operation was. */
  readonly kind: OpKind;
  /** Block index (writes and reads). */
  readonly block?: number;
  /** Writes: the write id encoded in the block. Reads: the write id read back, 0 for zeros; absent if the block was corrupt. */
  value?: number;
  /** Reads whose block did not decode to a value of that block: what was wrong. */
  corrupt?: CorruptBlock;
  /** Writes: sent with Force Unit Access. */
  readonly fua?: boolean;
  /** Monotonic time (performance.now()) of the call. */
  readonly invokedAt: number;
  /** Monotonic time the call returned (absent while in flight or if the run stopped first). */
  completedAt?: number;
  /** ok, fail or unknown; operations still in flight when the history was taken are unknown. */
  outcome: OpOutcome;
  /** Multipath devices: the active path when the operation completed (the one that answered, unless a path switch raced it). */
  path?: string;
  /** The error message of a failed or unknown operation. */
  error?: string;
  /** The host that issued it (conformance runs, where several hosts share one history). */
  readonly host?: string;
  /** Index of the plan step during which it was issued (conformance runs; -1 before the first step). */
  readonly step?: number;
  /**
   * Issued while host access to the disk was disabled (DS-7): recorded as outcome fail, because no
   * such write may take effect; finding its value later is a DS-7 violation.
   */
  readonly accessDisabled?: boolean;
}

/** A recorded run: enough to decode and judge every block of the range written. */
export interface History {
  /** Name the block codec hashes into every block (tells this run's disk from another's). */
  readonly disk: string;
  /** Bytes per block. */
  readonly blockSize: number;
  /** Blocks 0..blocks-1 were used (offset = block * blockSize). */
  readonly blocks: number;
  /** Every operation, in invocation order. */
  readonly entries: readonly HistoryEntry[];
}

/**
 * How a block that is neither zeros nor a whole value of its own is damaged: torn (the header
 * of one write, other bytes elsewhere: DS-8), foreign (a whole value of another block, disk or
 * run: DS-5), garbage (no value header at all: DS-5).
 */
export type BlockDamage = 'torn' | 'foreign' | 'garbage';

/** A block that did not decode to a value of its own. */
export interface CorruptBlock {
  readonly damage: BlockDamage;
  /** What was found, for humans. */
  readonly reason: string;
}

/** What one block read back decodes to. */
export type DecodedBlock =
  | { readonly kind: 'zeros' }
  | { readonly kind: 'value'; readonly block: number; readonly writeId: number }
  | ({ readonly kind: 'corrupt' } & CorruptBlock);

/** Data-safety invariants the checker judges. */
export type DsInvariant = 'DS-1' | 'DS-3' | 'DS-4' | 'DS-5' | 'DS-7' | 'DS-8';

/** One broken data-safety rule, with its evidence. */
export interface Violation {
  /** The SPEC ID broken. */
  readonly invariant: DsInvariant;
  /** The block concerned. */
  readonly block: number;
  /** What was wrong, for humans: the value found, what was allowed and why. */
  readonly message: string;
  /** Where it was seen: the final read-back, or the id of a read during the run. */
  readonly seenBy: 'final-read' | { readonly readId: number };
  /** What the block held (a write id, 0 for zeros), or the corruption found. */
  readonly found: DecodedBlock;
  /** Values that would have been allowed (write ids, 0 = zeros). */
  readonly allowed: readonly number[];
  /** The history entries involved: the read, the writes to the block, the flushes that made them durable. */
  readonly evidence: readonly HistoryEntry[];
}

/**
 * A moment at which a disk may have lost writes: a crash (of the server holding a single disk, or
 * of the last server serving a mirrored disk, DS-3), or an operator forcing an older copy of a
 * mirrored disk online (MIR-11). The loss happened at some instant between `from` and `to` (the
 * invocation and completion of the action that caused it).
 */
export interface LossPoint {
  /** What happened, for messages: `crash s1 (step 4)`. */
  readonly label: string;
  /** Monotonic time (performance.now()) the action was invoked: only flushes completed before it count as durability. */
  readonly from: number;
  /** Monotonic time the action completed: writes acknowledged before it may be lost. */
  readonly to: number;
  /** 'durable': a crash, writes durable by `from` survive (DS-3); 'nothing': an older copy forced online, any earlier write may be lost (DS-4, DS-5 forced). */
  readonly keeps: 'durable' | 'nothing';
}

/** Options of the checker. */
export interface CheckOptions {
  /**
   * 'none' (default): nothing crashed, every block must hold its latest acknowledged value (DS-1,
   * DS-2); 'allowed': a crash at an unknown time after every operation may have lost acknowledged
   * writes that were not durable (DS-3). Timed crashes are `lossPoints`.
   */
  readonly crashes?: 'none' | 'allowed';
  /** An operator forced an older copy online at an unknown time (MIR-11): any value written to the block, or zeros. */
  readonly forced?: boolean;
  /** Timed losses: reads and the final contents may reflect the loss of what each point may lose. */
  readonly lossPoints?: readonly LossPoint[];
}

/** Block-level I/O the workload drives (a MultipathDevice, an NbdClient, a test device). */
export interface WorkloadDevice {
  /** Size in bytes. */
  readonly size: number;
  read(offset: number, length: number): Promise<Buffer>;
  write(offset: number, data: Buffer, options?: { fua?: boolean }): Promise<void>;
  flush(): Promise<void>;
  /** The path in use (multipath devices), recorded with each operation. */
  readonly activePath?: string | null;
}
