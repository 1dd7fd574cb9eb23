// The mirror layer of one storage server (the `MirrorService` of ./types.ts): a mirror link per
// partner server and a MirroredVolume, the mirror link of its I/O chain, per mirrored disk.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Alua, VirtualDiskStatus } from '../status-types.js';
import type { BlockLayer } from '../types.js';
import { readJson } from '../util/atomic-file.js';
import { callJson, HttpError, type Route } from '../util/json-http.js';
import { MirrorRefusal } from './errors.js';
import { createMirrorLink } from './link.js';
import type { MirrorLink } from './link-types.js';
import { MirroredVolume } from './mirrored-volume.js';
import { handlePartnerRequest } from './partner-requests.js';
import type { MirroredDiskConfig, MirrorHost, MirrorLayer, MirrorService, MirrorStatus, PeerVerdict } from './types.js';

export interface MirrorServiceOptions {
  groupDir: string;
  /** Ports of every server by name (mirror ports among them), as allocated at `group up`. */
  ports: Record<string, { ports: Record<string, number> }>;
  /** The supervisor's URL: the group's witness and tiebreaker (MIR-13). */
  supervisorUrl: string | undefined;
}

/** The mirror layer of one server: a link per partner server and a volume per mirrored disk. */
export class ServerMirrors implements MirrorService {
  private readonly links = new Map<string, MirrorLink>();
  private readonly volumes = new Map<string, MirroredVolume>();
  private readonly cut = new Set<string>();

  constructor(
    private readonly server: MirrorHost,
    private readonly options: MirrorServiceOptions,
    private readonly log: (line: string) => void,
  ) {}

  private get me(): string {
    return this.server.me.name;
  }

  private get dir(): string {
    return join(this.options.groupDir, 'servers', this.me, 'mirror');
  }

  private partnerOf(v: MirroredDiskConfig): string {
    return v.copies[0] === this.me ? v.copies[1] : v.copies[0];
  }

  private mirrorPort(server: string): number {
    const cfg = this.server.config.servers.find((s) => s.name === server)!;
    const port = cfg.ports.find((p) => p.roles.includes('mirror'));
    if (!port) throw new Error(`server ${server} has no port with the mirror role; mirrored disks need one`);
    return this.options.ports[server]!.ports[port.name]!;
  }

  /** Asks the supervisor whether the partner is down (crashed, off) or alive (link cut, hung). */
  private async witness(peer: string): Promise<PeerVerdict> {
    const url = this.options.supervisorUrl;
    if (!url) return 'alive';
    const deadline = Date.now() + 2000;
    for (;;) {
      try {
        const r = await callJson<{ state: 'down' | 'alive'; cut: boolean }>(
          `${url}/witness/${peer}?from=${this.me}`,
          'GET',
          undefined,
          2000,
        );
        if (r.state === 'down' || r.cut || Date.now() > deadline) return r.state;
      } catch (error) {
        // No witness: stay on the safe side (the non-preferred copy does not take over).
        if (Date.now() > deadline) {
          this.log(`witness unreachable: ${(error as Error).message}`);
          return 'alive';
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async layer(v: MirroredDiskConfig, next: BlockLayer): Promise<MirrorLayer> {
    await mkdir(this.dir, { recursive: true });
    const peer = this.partnerOf(v);
    const volume = new MirroredVolume({
      server: this.me,
      peer,
      preferred: v.copies[0] === this.me,
      vdisk: v,
      next,
      dir: this.dir,
      link: () => this.links.get(peer),
      witness: () => this.witness(peer),
      recoveryBytesPerSecond: this.server.config.recoveryMiBPerSecond * 1024 * 1024,
      log: this.log,
    });
    await volume.open();
    this.volumes.set(v.name, volume);
    return volume;
  }

  async start(): Promise<void> {
    const cutPairs = (await readJson<Array<[string, string]>>(join(this.options.groupDir, 'links.json'))) ?? [];
    for (const [a, b] of cutPairs) if (a === this.me || b === this.me) this.cut.add(a === this.me ? b : a);
    for (const volume of this.volumes.values()) {
      const peer = this.partnerFor(volume.name)!;
      if (!this.links.has(peer)) this.links.set(peer, await this.openLink(peer));
    }
  }

  private async openLink(peer: string): Promise<MirrorLink> {
    const listens = this.me > peer;
    const link = createMirrorLink({
      self: this.me,
      peer,
      groupId: this.server.config.name,
      listen: listens ? { host: '127.0.0.1', port: this.mirrorPort(this.me) } : undefined,
      connect: listens ? undefined : { host: '127.0.0.1', port: this.mirrorPort(peer) },
      heartbeatMs: this.server.config.mirror.heartbeatMs,
      deadAfterMs: this.server.config.mirror.deadAfterMs,
      onRequest: (req) => handlePartnerRequest(this.volumes.get(String(req.header.vdisk)), this.me, req),
    });
    const volumesOf = () => [...this.volumes.values()].filter((v) => this.partnerFor(v.name) === peer);
    link.on('up', () => {
      this.log(`mirror link to ${peer} up`);
      // The server with the smaller name coordinates the meeting of each disk's copies.
      if (this.me < peer) for (const v of volumesOf()) void v.meet();
    });
    link.on('down', (info) => {
      this.log(`mirror link to ${peer} down: ${info.reason}`);
      for (const v of volumesOf()) v.onLinkDown();
    });
    if (this.cut.has(peer)) link.cut(true);
    // A mirror port that cannot be bound fails the start with a clear error.
    await link.ready();
    return link;
  }

  private partnerFor(vdisk: string): string | undefined {
    const v = this.server.config.virtualDisks.find((x) => x.name === vdisk);
    return v?.kind === 'mirrored' ? this.partnerOf(v) : undefined;
  }

  /** Graceful stop (SRV-3): each copy flushes and tells its partner, then the links close. */
  async stop(): Promise<void> {
    await Promise.all([...this.volumes.values()].map((v) => v.stop()));
    await Promise.all([...this.links.values()].map((l) => l.close()));
    this.links.clear();
    this.volumes.clear();
  }

  status(): MirrorStatus {
    const virtualDisks: VirtualDiskStatus[] = [];
    const access: Record<string, Alua> = {};
    for (const [name, volume] of this.volumes) {
      virtualDisks.push(volume.view());
      access[name] = volume.access();
    }
    const links = [...this.links].map(([peer, l]) => ({ servers: [this.me, peer] as [string, string], up: l.up }));
    return { virtualDisks, access, links };
  }

  details(): unknown {
    return {
      volumes: [...this.volumes.values()].map((v) => v.details()),
      links: Object.fromEntries([...this.links].map(([peer, l]) => [peer, l.stats()])),
    };
  }

  /** Management routes: the link fault switch (MIR-13) and Force Mirror Recovery (MIR-11). */
  routes(): Route[] {
    return [
      {
        method: 'POST',
        path: '/mirror/link',
        handler: async (body) => {
          const { peer, cut } = (body ?? {}) as { peer?: string; cut?: boolean };
          if (typeof peer !== 'string' || typeof cut !== 'boolean')
            throw new HttpError(400, 'API_BAD_REQUEST', 'invalid mirror link request: give {"peer": "s2", "cut": true|false}', {
              problems: [
                { field: 'peer', problem: 'must be a server name' },
                { field: 'cut', problem: 'must be true or false' },
              ],
            });
          if (cut) this.cut.add(peer);
          else this.cut.delete(peer);
          this.links.get(peer)?.cut(cut);
          return { ok: true };
        },
      },
      {
        // MIR-6: the witness tells a copy that its partner crashed, which the copy cannot see when
        // the link was already cut: the partner's lost cache makes a full recovery necessary.
        method: 'POST',
        path: '/mirror/peer-crashed',
        handler: async (body) => {
          const { peer } = (body ?? {}) as { peer?: string };
          if (typeof peer !== 'string')
            throw new HttpError(400, 'API_BAD_REQUEST', 'invalid request: give {"peer": "s2"}', {
              problems: [{ field: 'peer', problem: 'must be a server name' }],
            });
          for (const volume of this.volumes.values()) if (volume.peer === peer) await volume.partnerCrashed();
          return { ok: true };
        },
      },
      {
        method: 'POST',
        path: '/mirror/force',
        handler: async (body) => {
          const vdisk = ((body ?? {}) as { vdisk?: string }).vdisk;
          const volume = typeof vdisk === 'string' ? this.volumes.get(vdisk) : undefined;
          if (!volume) {
            if (this.server.running) throw new HttpError(404, 'GROUP_UNKNOWN_NAME', `${this.me} holds no copy of ${JSON.stringify(vdisk)}`);
            throw new HttpError(409, 'MIR_COPY_SERVER_DOWN', `${this.me} is not running; start it first`);
          }
          try {
            await volume.force();
          } catch (error) {
            if (error instanceof MirrorRefusal) throw HttpError.of(409, error.code, error.message);
            throw error;
          }
          return { ok: true };
        },
      },
    ];
  }
}
