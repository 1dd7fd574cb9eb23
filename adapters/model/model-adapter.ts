// The model itself as a system under test, to test the harness: `apply` steps the composed model,
// `status` is its projection (CF-2), and hosts do real block I/O on in-memory copies that follow
// the model: I/O to a disk whose host access is disabled fails (outcome fail), a single-path
// device honours its path's ALUA state, copy readers read each copy's bytes. Recoveries complete
// when the runner applies `recoveryComplete` (holdsRecovery), or after a delay of the adapter's
// own (`autoRecoverMs`), to exercise the runner's waiting. Lies (lies.ts) make it misbehave on
// purpose, so tests can show the runner catches each one.

import { AdapterError, type Adapter, type Capabilities, type CopyReader, type HostDevice, type SystemUnderTest } from '../types.js';
import { createGroupModel, type GroupMachines, type GroupModel, type GroupState } from '../../models/group.js';
import { groupStatus } from '../../models/status.js';
import type { GroupEvent, GroupEventType, GroupStatus, Topology } from '../../models/types.js';
import { match, P } from 'ts-pattern';
import type { ModelLies } from './lies.js';
import { MemoryCopies } from './memory-copies.js';

/** Options of the model adapter. */
export interface ModelAdapterOptions {
  /** Deliberate misbehaviours (tests of the runner). */
  readonly lies?: ModelLies;
  /** Bytes per virtual disk (default 256 KiB). */
  readonly diskSize?: number;
  /** Complete every recovery by itself this many ms after it starts, instead of holding it for the runner. */
  readonly autoRecoverMs?: number;
  /**
   * Servers in write-back mode hold unflushed writes in a volatile cache in front of their copies
   * (destaged by a flush, a graceful stop or the switch to battery; lost in a crash), and the
   * adapter declares `cacheProbe`. Off: every write goes straight to the copies.
   */
  readonly writeBackCache?: boolean;
  /** Component machines of the model it behaves as (default: the real ones). */
  readonly machines?: Partial<GroupMachines>;
  /**
   * The lies hold only on every Nth system this adapter opens, the first included (default 1:
   * every system). With 2, a lie shows on every other run: a failure that comes and goes, as a
   * timing-dependent bug does, for tests of the minimizer's reproduction verdict.
   */
  readonly liesEvery?: number;
}

/** An I/O error of the model adapter's devices: the request certainly had no effect. */
export class ModelIoError extends Error {
  readonly outcome = 'fail';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ModelIoError';
  }
}

/** Lets requests and actions interleave as they would with a real system: each completes on a later turn. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The model adapter. */
export function createModelAdapter(options: ModelAdapterOptions = {}): Adapter {
  const holdsRecovery = options.autoRecoverMs === undefined;
  // One model per topology: its components memoize every transition, so later systems step fast.
  const models = new Map<string, GroupModel>();
  const modelOf = (topology: Topology) => {
    const key = JSON.stringify(topology);
    let model = models.get(key);
    if (!model) models.set(key, (model = createGroupModel(topology, options.machines)));
    return model;
  };
  let opened = 0;
  return {
    name: `model${options.lies && Object.keys(options.lies).length > 0 ? ' (lying)' : ''}`,
    capabilities(topology: Topology): Capabilities {
      const model = modelOf(topology);
      const events = [...new Set(model.alphabet.map((e) => e.type))].filter(
        (t): t is GroupEventType => t !== 'write' && t !== 'flush' && (holdsRecovery || t !== 'recoveryComplete'),
      );
      return { events, hostIo: true, mirroredDisks: true, copyReader: true, cacheProbe: options.writeBackCache === true, holdsRecovery };
    },
    async open(topology, openOptions) {
      const lying = opened++ % (options.liesEvery ?? 1) === 0;
      return openModelSystem(modelOf(topology), lying ? options : { ...options, lies: {} }, openOptions.log);
    },
  };
}

function openModelSystem(model: GroupModel, options: ModelAdapterOptions, log?: (line: string) => void): SystemUnderTest {
  const lies = options.lies ?? {};
  const holdsRecovery = options.autoRecoverMs === undefined;
  const size = options.diskSize ?? 256 * 1024;
  const copies = new MemoryCopies(model.topology, size);
  let state: GroupState = model.initial;
  let closed = false;
  const writesSeen = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  let statusOf: { state: GroupState; status: GroupStatus } | null = null;
  /** The projection of the current state, computed once per state (every I/O request asks). */
  const status = () => {
    if (statusOf?.state !== state) statusOf = { state, status: groupStatus(model, state) };
    return statusOf.status;
  };

  /**
   * Applies an event to the model and the data: a completed recovery copies its source over the
   * recovered copy; a graceful stop or the switch to battery destages the server's cache (SRV-3,
   * SRV-13); a crash loses it (SRV-11).
   */
  const transition = (event: GroupEvent) => {
    const before = status();
    const r = model.step(state, event);
    if (r.refusal) return r;
    if (event.type === 'recoveryComplete' && !lies.recoveryCopiesNothing) {
      const v = before.virtualDisks.find((x) => x.name === event.vdisk)!;
      const source = copies.serving(before, v.name)[0];
      for (const c of v.copies) {
        if (source && (c.dataStatus === 'inLogRecovery' || c.dataStatus === 'inFullRecovery')) copies.recover(v.name, source, c.server);
      }
    }
    // What the event does to the copies' bytes; exhaustive, so a new event must say whether it
    // destages, drops or leaves the caches alone.
    match(event)
      .with({ type: P.union('stop', 'shutdown', 'restart', 'batteryLow', 'onBattery') }, (e) => copies.destage(e.server))
      .with({ type: 'crash' }, (e) => {
        copies.dropCache(e.server);
        if (lies.crashLosesDurable) copies.wipe(e.server);
      })
      // SRV-14: the backend is gone; the cache's undestaged writes cannot reach it.
      .with({ type: 'poolFail' }, (e) => copies.dropCache(e.server))
      .with({ type: 'siteCrash' }, () => {
        for (const server of model.topology.servers) copies.dropCache(server.name);
      })
      .with(
        {
          type: P.union(
            'start',
            'powerOn',
            'setCache',
            'mainsRestored',
            'autoRestartWindowElapsed',
            'write',
            'flush',
            'recoveryComplete',
            'forceMirrorRecovery',
            'linkDown',
            'linkUp',
            'hostDisconnect',
            'hostReconnect',
            'poolRestore',
          ),
        },
        () => {},
      )
      .exhaustive();
    state = r.state;
    if (!holdsRecovery) scheduleRecoveries();
    return r;
  };

  /** Without held recoveries: every recovery that starts completes by itself a little later. */
  const scheduleRecoveries = () => {
    for (const v of model.topology.virtualDisks) {
      if (v.kind !== 'mirrored') continue;
      const event: GroupEvent = { type: 'recoveryComplete', vdisk: v.name };
      if (model.step(state, event).refusal) continue;
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!closed && !model.step(state, event).refusal) {
          transition(event);
          log?.(`recovery of ${v.name} completed`);
        }
      }, options.autoRecoverMs);
      timers.add(timer);
    }
  };

  const checkRange = (offset: number, length: number) => {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
      throw new ModelIoError('NBD_INVALID_REQUEST', `request ${offset}+${length} outside the disk (${size} bytes)`);
    }
  };
  const checkDisk = (vdisk: string) => {
    if (!copies.has(vdisk)) throw new AdapterError(`no virtual disk ${vdisk} in this topology`, undefined, 'GROUP_UNKNOWN_NAME');
  };
  const denied = (vdisk: string) => {
    const single = model.topology.virtualDisks.find((v) => v.name === vdisk)?.kind === 'single';
    return single
      ? new ModelIoError('VD_OFFLINE', `${vdisk} is offline: its server is not running`)
      : new ModelIoError('MIR_NO_HOST_ACCESS', `host access to ${vdisk} is disabled`);
  };

  /** Whether a write (not FUA) to `server`'s copy stays in its cache: its effective cache mode is write-back. */
  const caches = (s: GroupStatus, server: string, fua: boolean) => {
    if (!options.writeBackCache || fua || lies.ignoreWriteBack) return false;
    const cache = s.servers.find((x) => x.name === server)?.cache;
    return cache?.effective === 'writeBack' || (lies.cacheOnBattery === true && cache?.applied === 'writeBack');
  };

  /** The server a host's I/O to a disk goes to: the copy behind its Active/Optimized path, else any active one. */
  const servingServer = (s: GroupStatus, host: string, vdisk: string): string | undefined => {
    const paths = s.paths.filter((p) => p.host === host && p.online);
    return (
      paths.find((p) => p.alua[vdisk] === 'activeOptimized')?.server ?? paths.find((p) => p.alua[vdisk] === 'activeNonOptimized')?.server
    );
  };

  const device = (vdisk: string, route: (s: GroupStatus) => string | undefined, name: (server: string) => string): HostDevice => {
    let open = true;
    let active: string | null = null;
    const guard = async () => {
      await turn();
      if (!open || closed) throw new ModelIoError('MPATH_CLOSED', 'the device was closed');
    };
    return {
      size,
      get activePath() {
        return active;
      },
      async read(offset, length) {
        await guard();
        checkRange(offset, length);
        const server = route(status());
        if (!server) throw denied(vdisk);
        active = name(server);
        return copies.view(vdisk, server, offset, length);
      },
      async write(offset, data, writeOptions) {
        await guard();
        checkRange(offset, data.length);
        const s = status();
        const server = route(s);
        let targets = server ? copies.serving(s, vdisk) : [];
        if (!server || targets.length === 0) {
          if (!lies.writeWhileDisabled) throw denied(vdisk);
          // The lie: the write lands on the preferred copy although hosts have no access.
          targets = [s.virtualDisks.find((v) => v.name === vdisk)!.copies[0]!.server];
        }
        if (server) active = name(server);
        const n = (writesSeen.get(vdisk) ?? 0) + 1;
        writesSeen.set(vdisk, n);
        if (lies.dropWrite?.vdisk === vdisk && lies.dropWrite.nth === n) {
          log?.(`lie: write ${n} to ${vdisk} acknowledged and dropped`);
          if (server) transition({ type: 'write', vdisk });
          return;
        }
        for (const target of targets) copies.write(vdisk, target, offset, data, caches(s, target, writeOptions?.fua === true));
        // Hosts wrote: the model learns it (a copy whose server is away falls behind, MIR-3, MIR-5).
        if (server) transition({ type: 'write', vdisk });
      },
      async flush() {
        await guard();
        const s = status();
        if (!route(s) && !lies.writeWhileDisabled) throw denied(vdisk);
        for (const server of copies.serving(s, vdisk)) copies.destage(server, vdisk);
      },
      async close() {
        open = false;
      },
    };
  };

  return {
    async apply(event) {
      if (closed) throw new AdapterError('the system is closed');
      if (event.type === 'write' || event.type === 'flush') throw new AdapterError(`"${event.type}" is host I/O: use device()`);
      if (event.type === 'recoveryComplete' && !holdsRecovery) throw new AdapterError('recoveries complete by themselves here');
      await turn();
      const r = transition(event);
      await turn();
      if (!r.refusal) return { outcome: 'accepted' };
      if (lies.acceptRefused) return { outcome: 'accepted' };
      if (lies.wrongRefusalCode) return { outcome: 'refused', code: 'GROUP_UNKNOWN_NAME', message: 'lie: another code' };
      return { outcome: 'refused', code: r.refusal.code, message: r.refusal.message };
    },
    async status() {
      if (closed) throw new AdapterError('the system is closed');
      await turn();
      const s = status();
      if (lies.invalidStatus) return { ...s, servers: s.servers.map((x) => ({ ...x, state: 'dozing' })) } as unknown as GroupStatus;
      if (!lies.reportStoppedPathsOnline) return s;
      const running = (server: string) => s.servers.find((x) => x.name === server)?.state === 'running';
      return { ...s, paths: s.paths.map((p) => (running(p.server) ? p : { ...p, online: true })) };
    },
    async device(host, vdisk) {
      checkDisk(vdisk);
      return device(
        vdisk,
        (s) => servingServer(s, host, vdisk),
        (server) => `${host}->${server}`,
      );
    },
    async pathDevice(host, server, vdisk) {
      checkDisk(vdisk);
      const route = (s: GroupStatus) => {
        const p = s.paths.find((x) => x.host === host && x.server === server);
        const alua = p?.alua[vdisk];
        return (alua !== undefined && alua !== 'unavailable') || (lies.serveUnavailablePaths && alua !== undefined) ? server : undefined;
      };
      return device(vdisk, route, () => `${host}->${server}`);
    },
    async copyReader(vdisk, server): Promise<CopyReader> {
      checkDisk(vdisk);
      if (!copies.holds(vdisk, server)) throw new AdapterError(`${server} holds no copy of ${vdisk}`);
      return {
        size,
        async read(offset, length) {
          checkRange(offset, length);
          return copies.backend(vdisk, server, offset, length);
        },
        async close() {},
      };
    },
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
