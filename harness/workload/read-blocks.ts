// Reading a workload's whole block range back (the final read the checker judges).

/** Reads every block of a history's range from a device, in order, a few at a time. */
export async function readBlocks(
  device: { read(offset: number, length: number): Promise<Buffer> },
  blocks: number,
  blockSize: number,
  concurrency = 8,
): Promise<Buffer[]> {
  const out: Buffer[] = new Array<Buffer>(blocks);
  let next = 0;
  const worker = async () => {
    while (next < blocks) {
      const b = next++;
      out[b] = await device.read(b * blockSize, blockSize);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, blocks)) }, worker));
  return out;
}
