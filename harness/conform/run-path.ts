// One path against a fresh system under test. For the initial state and after every step:
//   1. the action: `apply()` compared with the model (refusal codes included, SRV-12), or host
//      I/O for `write`/`flush`, or, for `recoveryComplete` without held recoveries, nothing (the
//      runner waits for the system); with `overlapIo`, writes run while the action happens;
//   2. settle: the status polled until it equals a candidate's projection (CF-1, settle.ts);
//   3. host I/O on every disk: where the model grants access, writes (only where a write leaves
//      the prediction as it is) and reads, which must succeed; where it does not, a write and a
//      read that must fail in time without effect (DS-7);
//   4. probes of what the status claims: each path's ALUA state (PTH-3, VD-1), each server's cache
//      mode (SRV-6, SRV-13), and copies compared byte for byte when the model says they are in
//      sync after a recovery (DS-6).
// At the end, every disk is read back and its whole history judged (DS-1..DS-8). The first
// failure stops the path; the system is closed and its work directory removed whatever happens.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Adapter, ApplyResult, HostDevice, SystemUnderTest } from '../../adapters/types.js';
import type { GroupModel } from '../../models/group.js';
import type { GroupEvent, GroupStatus } from '../../models/types.js';
import { eventLabel, statusLine } from '../check/format.js';
import type { Plan, PlanPath, PlanStep } from '../plan/types.js';
import { notApplicable } from './applicability.js';
import { compareCopies } from './compare-copies.js';
import { finalDataCheck } from './data-check.js';
import { closeQuietly, DevicePool } from './device-pool.js';
import { DiskHistory } from './disk-history.js';
import { accessibleIo, deniedIo, hostFlush, hostWrite, requireDenied, requireOk } from './host-io.js';
import { lossesOf } from './losses.js';
import { agreedAccess, copiesInSync, writeKeepsState } from './model-view.js';
import { errorText, PathAborted, PathFailed } from './path-failed.js';
import { seededRandom, type PathRuntime, type RunSettings } from './path-runtime.js';
import { createPredictor } from './predictor.js';
import { probeCaches } from './probe-cache.js';
import { probePaths } from './probe-paths.js';
import { settle } from './settle.js';
import type { HistoryExcerpt, PathResult, StepRecord } from './types.js';

/** Host operations kept per disk in a failing path's report. */
const HISTORY_EXCERPT = 40;
/** Writes each overlap writer issues at most while an action runs. */
const OVERLAP_WRITES = 200;

/** Options of `runPath`. */
export interface RunPathOptions {
  readonly adapter: Adapter;
  readonly plan: Plan;
  readonly path: PlanPath;
  readonly model: GroupModel;
  readonly settings: RunSettings;
  readonly signal: AbortSignal;
  /** Parent of the path's work directory. */
  readonly workRoot?: string;
  /** Called after every step. */
  readonly onStep?: () => void;
}

const rotate = <T>(items: readonly T[], i: number): T => items[((i % items.length) + items.length) % items.length]!;

/** Runs one path; resolves to its result (never rejects, except with PathAborted when the run is interrupted). */
export async function runPath(options: RunPathOptions): Promise<PathResult> {
  const { adapter, plan, path, signal } = options;
  const started = performance.now();
  const topology = plan.topology;
  const capabilities = adapter.capabilities(topology);
  const reason = notApplicable(path, topology, capabilities);
  if (reason) return { id: path.id, spec: path.spec, outcome: 'notApplicable', reason, steps: [], path, durationMs: 0 };
  if (signal.aborted) throw new PathAborted();

  const log: string[] = [];
  const steps: StepRecord[] = [];
  const workDir = await mkdtemp(join(options.workRoot ?? tmpdir(), `sanspec-${path.id.replace(/[^a-zA-Z0-9-]/g, '_')}-`));
  let sut: SystemUnderTest | undefined;
  let rt: PathRuntime | undefined;
  let keep = false;
  const result = (outcome: PathResult['outcome'], extra: Partial<PathResult> = {}): PathResult => ({
    id: path.id,
    spec: path.spec,
    outcome,
    steps,
    path,
    durationMs: Math.round(performance.now() - started),
    ...extra,
  });
  try {
    try {
      sut = await adapter.open(topology, { workDir, signal, log: (line) => log.push(line) });
    } catch (error) {
      if (signal.aborted) throw new PathAborted();
      throw new PathFailed({
        rule: 'CF-2',
        code: 'SANSPEC_ADAPTER_FAILED',
        step: -1,
        message: `the adapter could not open a system: ${errorText(error)}`,
      });
    }
    const predictor = createPredictor(options.model, { holdsRecovery: capabilities.holdsRecovery });
    const ioTimeoutMs = options.settings.ioTimeoutMs;
    rt = {
      path,
      sut,
      topology,
      capabilities,
      predictor,
      settings: options.settings,
      histories: new Map(),
      devices: new DevicePool(sut, { ioTimeoutMs, retryForMs: options.settings.retryForMs }),
      random: seededRandom(`${plan.seed}:${path.id}`),
      signal,
      log: (line) => log.push(line),
      step: -1,
      ioOps: 0,
      states: predictor.initial(),
    };
    const inSync = new Map<string, boolean>();
    const initial = await settle(rt);
    await createHistories(rt);
    await checkState(rt, initial.status, inSync, null);

    for (let i = 0; i < path.steps.length; i++) {
      if (signal.aborted) throw new PathAborted();
      const step = path.steps[i]!;
      rt.step = i;
      rt.ioOps = 0;
      const label = eventLabel(step.event);
      let outcome: StepRecord['result'] = 'accepted';
      // A step that fails after settling (a check of data or probes) records its settle time:
      // minimization derives the candidates' settle timeout from it.
      let settledMs = 0;
      try {
        outcome = await act(rt, step);
        const { status, ms } = await settle(rt);
        settledMs = ms;
        await checkState(rt, status, inSync, step.event);
        steps.push({ label, result: outcome, settleMs: Math.round(ms), ioOps: rt.ioOps, status: statusLine(status) });
      } catch (error) {
        steps.push({ label, result: outcome, settleMs: Math.round(settledMs), ioOps: rt.ioOps });
        throw error;
      }
      options.onStep?.();
    }

    rt.step = path.steps.length;
    rt.ioOps = 0;
    if (capabilities.hostIo) {
      for (const v of topology.virtualDisks) {
        if (v.kind === 'mirrored' && copiesInSync(predictor, rt.states, v.name)) await compareCopies(rt, v.name);
      }
      await finalDataCheck(rt);
    }
    return result('passed');
  } catch (error) {
    if (error instanceof PathAborted || (signal.aborted && !(error instanceof PathFailed))) throw new PathAborted();
    const failure =
      error instanceof PathFailed
        ? error.failure
        : {
            rule: 'CF-2',
            code: 'SANSPEC_ADAPTER_FAILED',
            step: rt?.step ?? -1,
            message: `the run of this path failed unexpectedly: ${errorText(error)}`,
          };
    if (keepFailed()) {
      keep = true;
      log.push(`work directory kept (SANSPEC_KEEP_FAILED): ${workDir}`);
    }
    return result('failed', { failure, log, history: excerpts(rt) });
  } finally {
    if (rt) await rt.devices.closeAll();
    if (sut) {
      try {
        await sut.close();
      } catch (error) {
        log.push(`close failed: ${errorText(error)}`);
      }
    }
    if (!keep) await rm(workDir, { recursive: true, force: true });
  }
}

/** SANSPEC_KEEP_FAILED=1: a failed path's work directory (the system's files and logs) is kept for a post-mortem. */
const keepFailed = (): boolean => process.env.SANSPEC_KEEP_FAILED === '1';

/** The last operations on each disk, for a failing path's report. */
function excerpts(rt: PathRuntime | undefined): HistoryExcerpt[] {
  if (!rt) return [];
  return [...rt.histories.values()].map((d) => ({ vdisk: d.vdisk, total: d.entries.length, entries: d.entries.slice(-HISTORY_EXCERPT) }));
}

/** Learns each disk's size through a host device (every disk is accessible in the initial state) and starts its history. */
async function createHistories(rt: PathRuntime): Promise<void> {
  if (!rt.capabilities.hostIo) return;
  const host = rt.topology.hosts[0]!;
  for (const v of rt.topology.virtualDisks) {
    let size: number;
    try {
      size = (await rt.devices.get(host, v.name)).size;
    } catch (error) {
      throw new PathFailed({
        rule: v.kind === 'single' ? 'VD-1' : 'MIR-2',
        step: -1,
        message: `in the initial state every disk is accessible, but ${host} could not open ${v.name}: ${errorText(error)}`,
      });
    }
    const blocks = Math.min(rt.settings.maxBlocks, Math.floor(size / rt.settings.blockSize));
    if (blocks < 1) throw new Error(`virtual disk ${v.name} has ${size} bytes, less than one ${rt.settings.blockSize}-byte block`);
    rt.histories.set(v.name, new DiskHistory(v.name, `${rt.path.id}/${v.name}`, rt.settings.blockSize, blocks));
  }
}

/** Performs a step's action and updates the candidates; returns what the step answered. */
async function act(rt: PathRuntime, step: PlanStep): Promise<StepRecord['result']> {
  const event = step.event;
  if (event.type === 'write' || event.type === 'flush') return hostIoStep(rt, event);
  if (event.type === 'recoveryComplete' && !rt.capabilities.holdsRecovery) {
    // "Wait until the recovery has completed": the candidates after it; settling waits for them.
    const running = rt.states.some((s) => rt.predictor.model.step(s, event).refusal === null);
    rt.states = rt.predictor.recoveryDone(rt.states, event.vdisk);
    return running ? 'accepted' : { refused: 'MIR_NO_RECOVERY' };
  }
  const overlap = step.overlapIo && rt.capabilities.hostIo ? writableDisks(rt) : [];
  const writers = startOverlapWrites(rt, overlap, overlap.length > 0 ? accessEnds(rt, event, overlap) : new Set());
  const from = performance.now();
  let answer: ApplyResult;
  try {
    answer = await rt.sut.apply(event);
  } catch (error) {
    await writers.stop();
    if (rt.signal.aborted) throw new PathAborted();
    throw new PathFailed({
      rule: 'CF-2',
      code: 'SANSPEC_ADAPTER_FAILED',
      step: rt.step,
      message: `the adapter could not perform "${eventLabel(event)}": ${errorText(error)}`,
    });
  }
  const to = performance.now();
  await writers.stop();
  const outcomes = rt.predictor.outcomes(rt.states, event, { overlapWrites: overlap });
  const resolved = rt.predictor.resolve(outcomes, answer, event);
  if (!resolved.ok) throw new PathFailed({ rule: resolved.rule, step: rt.step, message: resolved.message });
  rt.states = resolved.states;
  const label = `${eventLabel(event)} (step ${rt.step + 1})`;
  const { losses, survived } = lossesOf(rt.predictor.model, event, resolved.transitions);
  for (const loss of losses) rt.histories.get(loss.vdisk)?.lossPoints.push({ label, from, to, keeps: loss.keeps });
  for (const vdisk of survived) rt.histories.get(vdisk)?.survivedCrashes.push(label);
  if (losses.length > 0) rt.log(`step ${rt.step}: ${label} may lose writes on ${losses.map((l) => l.vdisk).join(', ')}`);
  return answer.outcome === 'accepted' ? 'accepted' : { refused: answer.code };
}

/** Disks every candidate grants host access to. */
function writableDisks(rt: PathRuntime): string[] {
  return rt.topology.virtualDisks.filter((v) => agreedAccess(rt.predictor, rt.states, v.name) === 'readWrite').map((v) => v.name);
}

/** Disks of `vdisks` to which every outcome of `event` the model allows leaves no host access (MIR-9, VD-1). */
function accessEnds(rt: PathRuntime, event: GroupEvent, vdisks: readonly string[]): Set<string> {
  const after = rt.predictor.outcomes(rt.states, event, { overlapWrites: vdisks }).accepted;
  if (after.length === 0) return new Set();
  return new Set(vdisks.filter((v) => agreedAccess(rt.predictor, after, v) === 'disabled'));
}

/**
 * Writers that keep writing to `vdisks` until stopped: the writes in flight while an action
 * happens (planned overlap). Each has a device of its own: a mirrored disk's retries across paths
 * as long as hosts would (MIR-2: the writes should fail over), unless the action takes every
 * path away (`accessEnds`: a write can then only fail, and retrying would only hold up the step);
 * a single disk's gives up quickly for the same reason (its server going down fails them anyway).
 */
function startOverlapWrites(rt: PathRuntime, vdisks: readonly string[], accessEnds: ReadonlySet<string>): { stop(): Promise<void> } {
  let done = false;
  const running: Promise<void>[] = [];
  const devices: Promise<HostDevice>[] = [];
  vdisks.forEach((vdisk, k) => {
    const disk = rt.histories.get(vdisk);
    if (!disk) return;
    const single = rt.topology.virtualDisks.find((v) => v.name === vdisk)?.kind === 'single';
    const retryForMs = single || accessEnds.has(vdisk) ? Math.min(rt.settings.retryForMs, 100) : rt.settings.retryForMs;
    for (let w = 0; w < 2; w++) {
      const host = rotate(rt.topology.hosts, rt.step + k + w);
      let device: Promise<HostDevice> | undefined;
      const open = () => {
        if (!device) {
          device = rt.sut.device(host, vdisk, { ioTimeoutMs: rt.settings.ioTimeoutMs, retryForMs });
          devices.push(device);
        }
        return device;
      };
      running.push(
        (async () => {
          for (let n = 1; !done && n <= OVERLAP_WRITES; n++) {
            const op = await hostWrite(rt, disk, host, open, disk.freeBlock(rt.random), { fua: n % 4 === 0 });
            // A device that never opened is tried again on the next write.
            if (
              !op.ok &&
              device &&
              !(await device.then(
                () => true,
                () => false,
              ))
            )
              device = undefined;
          }
        })(),
      );
    }
  });
  return {
    async stop() {
      done = true;
      await Promise.all(running);
      await Promise.all(devices.map(closeQuietly));
    },
  };
}

/** A planned `write` or `flush`: host I/O through the host's device, judged by whether the model grants access. */
async function hostIoStep(rt: PathRuntime, event: Extract<GroupEvent, { type: 'write' | 'flush' }>): Promise<StepRecord['result']> {
  const disk = rt.histories.get(event.vdisk);
  if (!disk) throw new Error(`no history for ${event.vdisk}: host I/O steps need hostIo`);
  const outcomes = rt.predictor.outcomes(rt.states, event);
  const accepts = outcomes.accepted.length > 0;
  const refusal = [...outcomes.refused.keys()][0];
  const host = rotate(rt.topology.hosts, rt.step);
  const open = () => rt.devices.get(host, event.vdisk);
  if (accepts && refusal === undefined) {
    if (event.type === 'write') await accessibleIo(rt, disk, host, { writes: 4, reads: 2, fua: true });
    else requireOk(rt, disk, [await hostFlush(rt, disk, host, open)]);
    rt.states = outcomes.accepted;
    return 'accepted';
  }
  if (!accepts && refusal !== undefined) {
    await rt.devices.drop(event.vdisk);
    const why = `the model refuses "${eventLabel(event)}" with ${refusal}`;
    if (event.type === 'write') await deniedIo(rt, disk, host, { writes: 2, reads: 1, why });
    else await deniedIo(rt, disk, host, { writes: 0, reads: 0, flush: true, why });
    rt.states = outcomes.refused.get(refusal)!.states;
    return { refused: refusal };
  }
  // Candidates disagree on access: whatever the system does picks among them.
  const op =
    event.type === 'write' ? await hostWrite(rt, disk, host, open, disk.freeBlock(rt.random)) : await hostFlush(rt, disk, host, open);
  if (op.ok) {
    rt.states = outcomes.accepted;
    return 'accepted';
  }
  requireDenied(rt, disk, [op], `the model allows either, and the ${event.type} failed`);
  rt.states = [...outcomes.refused.values()].flatMap((r) => r.states);
  return { refused: refusal! };
}

/** Host I/O on every disk, then the probes, after the status settled. */
async function checkState(rt: PathRuntime, status: GroupStatus, inSync: Map<string, boolean>, event: GroupEvent | null): Promise<void> {
  if (!rt.capabilities.hostIo) return;
  await Promise.all(rt.topology.virtualDisks.map((v, k) => diskIo(rt, v.name, k)));
  await probePaths(rt, status);
  await probeCaches(rt, status);
  for (const v of rt.topology.virtualDisks) {
    if (v.kind !== 'mirrored') continue;
    const now = copiesInSync(rt.predictor, rt.states, v.name);
    const recovered = event?.type === 'recoveryComplete' && event.vdisk === v.name;
    if (now && (inSync.get(v.name) !== true || recovered)) await compareCopies(rt, v.name);
    inSync.set(v.name, now);
  }
}

/** Host I/O on one disk after a step: writes and reads where the model grants access, denied I/O where it does not. */
async function diskIo(rt: PathRuntime, vdisk: string, k: number): Promise<void> {
  const disk = rt.histories.get(vdisk);
  if (!disk) return;
  const host = rotate(rt.topology.hosts, rt.step + 1 + k);
  const access = agreedAccess(rt.predictor, rt.states, vdisk);
  if (access === 'readWrite') {
    // Unplanned writes only where they leave the prediction as it is (a write while a copy is away would make it stale).
    const writes = writeKeepsState(rt.predictor, rt.states, vdisk) ? 2 : 0;
    await accessibleIo(rt, disk, host, { writes, reads: 2, fua: (rt.step + k) % 2 === 0 });
  } else if (access === 'disabled') {
    await rt.devices.drop(vdisk);
    await deniedIo(rt, disk, host, { writes: 1, reads: 1, why: 'the model says host access is disabled' });
  } else {
    rt.log(`step ${rt.step}: ${vdisk} host I/O skipped: the candidates disagree on host access`);
  }
}
