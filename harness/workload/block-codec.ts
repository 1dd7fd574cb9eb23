// Self-describing block values: every block the workload writes carries a header (magic, disk
// name hash, block index, write id, block size) and a tail generated from those fields, so a
// block read back decodes to exactly one (block, write id), or zeros, or is recognisably corrupt:
// torn (header of one write, bytes of another), foreign (another block's or disk's value) or
// garbage (no header at all). DS-5 and DS-8 are judged from this.

import { createHash } from 'node:crypto';
import type { DecodedBlock } from './types.js';
import { match } from 'ts-pattern';

/** 'SSPCBLK1': marks a block written by the workload. */
const MAGIC = Buffer.from('SSPCBLK1', 'latin1');
/** Header bytes; the generated tail follows. */
export const BLOCK_HEADER_BYTES = 64;
const TWO_POW_32 = 0x1_0000_0000;

/** Encodes and decodes the values of one disk's blocks. */
export interface BlockCodec {
  /** The disk name hashed into every block. */
  readonly disk: string;
  readonly blockSize: number;
  /** The one value write `writeId` stores in `block`. */
  encode(block: number, writeId: number): Buffer;
  /** What `data` (one block read back from `block`) holds. */
  decode(data: Buffer, block: number): DecodedBlock;
}

/** Options of `createBlockCodec`. */
export interface BlockCodecOptions {
  /** Name identifying the disk and run; a block from another name decodes as corrupt. */
  readonly disk: string;
  /** Bytes per block (default 4096; a multiple of 4, at least 128). */
  readonly blockSize?: number;
}

function writeU64(buf: Buffer, offset: number, value: number): void {
  buf.writeUInt32BE(Math.floor(value / TWO_POW_32), offset);
  buf.writeUInt32BE(value % TWO_POW_32, offset + 4);
}

function readU64(buf: Buffer, offset: number): number {
  return buf.readUInt32BE(offset) * TWO_POW_32 + buf.readUInt32BE(offset + 4);
}

/** Fills `out` from `start` with a xorshift128 stream seeded by the header fields. */
function fillTail(out: Buffer, start: number, header: Buffer): void {
  const seed = createHash('sha256').update(header.subarray(0, 36)).digest();
  let x = seed.readUInt32LE(0) | 1;
  let y = seed.readUInt32LE(4);
  let z = seed.readUInt32LE(8);
  let w = seed.readUInt32LE(12);
  for (let i = start; i < out.length; i += 4) {
    const t = x ^ (x << 11);
    x = y;
    y = z;
    z = w;
    w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    out.writeUInt32LE(w, i);
  }
}

/** Creates the codec of a disk. Throws on a block size it cannot encode into. */
export function createBlockCodec(options: BlockCodecOptions): BlockCodec {
  const blockSize = options.blockSize ?? 4096;
  if (!Number.isInteger(blockSize) || blockSize < 128 || blockSize % 4 !== 0) {
    throw new RangeError(
      `block size ${blockSize} cannot hold a self-describing value; use a multiple of 4 of at least 128 bytes (4096 is usual)`,
    );
  }
  const diskHash = createHash('sha256').update(options.disk).digest().subarray(0, 8);

  function header(block: number, writeId: number): Buffer {
    const h = Buffer.alloc(BLOCK_HEADER_BYTES);
    MAGIC.copy(h, 0);
    diskHash.copy(h, 8);
    writeU64(h, 16, block);
    writeU64(h, 24, writeId);
    h.writeUInt32BE(blockSize, 32);
    return h;
  }

  /** The whole block value of a header: the header, then its generated tail. */
  function blockValueOf(h: Buffer): Buffer {
    const out = Buffer.alloc(blockSize);
    h.copy(out, 0);
    fillTail(out, BLOCK_HEADER_BYTES, h);
    return out;
  }

  return {
    disk: options.disk,
    blockSize,
    encode(block, writeId) {
      if (!Number.isSafeInteger(block) || block < 0) throw new RangeError(`block ${block} is not a non-negative integer`);
      if (!Number.isSafeInteger(writeId) || writeId < 1)
        throw new RangeError(`write id ${writeId} must be a positive integer (0 means zeros)`);
      return blockValueOf(header(block, writeId));
    },
    decode(data, block) {
      if (data.length !== blockSize)
        return { kind: 'corrupt', damage: 'garbage', reason: `read ${data.length} bytes, expected a ${blockSize}-byte block` };
      if (isZero(data)) return { kind: 'zeros' };
      if (!data.subarray(0, 8).equals(MAGIC)) {
        const nonZero = data.findIndex((b) => b !== 0);
        return {
          kind: 'corrupt',
          damage: 'garbage',
          reason: `no value header (first non-zero byte at offset ${nonZero}): garbage or a torn first sector`,
        };
      }
      if (!data.subarray(8, 16).equals(diskHash))
        return {
          kind: 'corrupt',
          damage: 'foreign',
          reason: `holds a value of another disk or run (disk hash ${data.subarray(8, 16).toString('hex')})`,
        };
      const size = data.readUInt32BE(32);
      const foundBlock = readU64(data, 16);
      const writeId = readU64(data, 24);
      if (size !== blockSize)
        return {
          kind: 'corrupt',
          damage: 'foreign',
          reason: `header of a ${size}-byte block value (block ${foundBlock}, write ${writeId})`,
        };
      if (foundBlock !== block)
        return {
          kind: 'corrupt',
          damage: 'foreign',
          reason: `holds block ${foundBlock}'s value of write ${writeId} (misdirected write or read)`,
        };
      const expected = blockValueOf(header(foundBlock, writeId));
      if (!expected.equals(data)) {
        let at = 0;
        while (at < blockSize && expected[at] === data[at]) at++;
        return {
          kind: 'corrupt',
          damage: 'torn',
          reason: `torn: header of write ${writeId} but bytes from offset ${at} differ from that value`,
        };
      }
      return { kind: 'value', block, writeId };
    },
  };
}

function isZero(data: Buffer): boolean {
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) return false;
  return true;
}

/** Short text for a decoded block, for messages. */
export function describeDecoded(d: DecodedBlock): string {
  return match(d)
    .with({ kind: 'zeros' }, () => 'zeros')
    .with({ kind: 'value' }, (v) => `write ${v.writeId}`)
    .with({ kind: 'corrupt' }, (c) => `corrupt (${c.reason})`)
    .exhaustive();
}
