// The engine's commands through the real executable: their JSON results are the documented
// contracts, refusals exit 1 with the refusal's code, and a group whose supervisor was killed is
// reported as it is (its servers still running) and still ended by group down.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GroupDownOutputSchema,
  GroupUpOutputSchema,
  NotRespondingSchema,
  ServerActionOutputSchema,
  type NotResponding,
} from '../../../contracts/cli-output.js';
import { ErrorBodySchema } from '../../../contracts/error.js';
import { GroupStatusSchema } from '../../../contracts/status.js';
import { downGroup, isGroupProcess, serverProcesses, supervisorPid } from '../../../engine/group/index.js';
import { releasePorts } from '../../../engine/util/port-reservation.js';
import { startGroup, type EngineGroup } from '../../helpers/engine-group.js';

const json = (stdout: string) => JSON.parse(stdout) as unknown;

/** Nothing of the group in dir runs and no port is reserved for it. */
async function nothingLeft(dir: string) {
  const pid = supervisorPid(dir);
  expect(pid === undefined || !isGroupProcess(pid, dir), `supervisor ${pid}`).toBe(true);
  expect(serverProcesses(dir).filter((p) => p.alive)).toEqual([]);
  expect(await releasePorts(dir)).toEqual([]);
}

describe('engine commands through bin/sanspec.mjs', () => {
  let g: EngineGroup;
  beforeAll(async () => {
    g = await startGroup();
  }, 180_000);
  afterAll(async () => {
    await g?.down();
  }, 180_000);

  it('group up prints its documented result; status --json is CF-2; a refused command exits 1 with its code', async () => {
    expect(Value.Check(GroupUpOutputSchema, g.up), JSON.stringify(g.up)).toBe(true);
    expect(Object.keys(g.up.servers)).toEqual(['s1', 's2']);
    expect(g.up.virtualDisks.m1).toHaveLength(2);

    const [refused, refusedText, stopped] = await Promise.all([
      g.cli('server', 'start', 's1', '--json'),
      g.cli('server', 'start', 's1'),
      g.cli('server', 'stop', 's2', '--json'),
    ]);
    expect(refused.code).toBe(1);
    expect(Value.Check(ErrorBodySchema, json(refused.stdout))).toBe(true);
    expect(json(refused.stdout)).toEqual({ error: { code: 'SRV_ALREADY_RUNNING', message: 'the server is already running' } });
    expect(refusedText).toMatchObject({ code: 1, stdout: '', stderr: 'sanspec: SRV_ALREADY_RUNNING: the server is already running\n' });
    expect(stopped.code).toBe(0);
    expect(Value.Check(ServerActionOutputSchema, json(stopped.stdout))).toBe(true);
    expect(json(stopped.stdout)).toEqual({ command: 'server stop', server: 's2' });

    const status = await g.cli('status', '--json');
    expect(status.code).toBe(0);
    const validate = new Ajv2020({ allErrors: true }).compile(GroupStatusSchema);
    expect(validate(json(status.stdout)), JSON.stringify(validate.errors)).toBe(true);
    expect(json(status.stdout)).toMatchObject({
      servers: [
        { name: 's1', state: 'running' },
        { name: 's2', state: 'stopped' },
      ],
    });
  }, 90_000);

  it('after the supervisor is SIGKILLed, status reports the servers still running and says to run group down, which ends them', async () => {
    const supervisor = supervisorPid(g.dir)!;
    process.kill(supervisor, 'SIGKILL');
    await expect.poll(() => isGroupProcess(supervisor, g.dir), { timeout: 10_000 }).toBe(false);
    const servers = serverProcesses(g.dir);
    expect(servers.map((p) => [p.server, p.alive])).toEqual([
      ['s1', true],
      ['s2', true],
    ]);

    const [status, statusText] = await Promise.all([g.cli('status', '--json'), g.cli('status')]);
    expect(status.code).toBe(1);
    const body = json(status.stdout) as { error: { code: string; message: string; details: NotResponding } };
    expect(Value.Check(ErrorBodySchema, body)).toBe(true);
    expect(body.error.code).toBe('ENGINE_NOT_RESPONDING');
    expect(Value.Check(NotRespondingSchema, body.error.details), JSON.stringify(body.error.details)).toBe(true);
    expect(body.error.details.supervisor).toEqual({ pid: supervisor, alive: false });
    expect(body.error.details.servers).toEqual([
      { server: 's1', pid: servers[0]!.pid, managementUrl: g.up.servers.s1!.managementUrl, state: 'running' },
      { server: 's2', pid: servers[1]!.pid, managementUrl: g.up.servers.s2!.managementUrl, state: 'stopped' },
    ]);
    expect(statusText.code).toBe(1);
    expect(statusText.stderr).toMatch(/^sanspec: ENGINE_NOT_RESPONDING: the supervisor of the group in .* is gone/);
    expect(statusText.stderr).toMatch(new RegExp(`s1 {2}pid ${servers[0]!.pid} {2}running`));
    expect(statusText.stderr).toContain(`sanspec group down --dir ${g.dir}`);

    const down = await g.cli('group', 'down', '--json');
    expect(down.code).toBe(0);
    expect(Value.Check(GroupDownOutputSchema, json(down.stdout))).toBe(true);
    expect(json(down.stdout)).toMatchObject({
      supervisor: 'none',
      killedServers: [
        { server: 's1', pid: servers[0]!.pid },
        { server: 's2', pid: servers[1]!.pid },
      ],
    });
    await nothingLeft(g.dir);
    const after = await g.cli('status', '--json');
    expect(after.code).toBe(1);
    expect(json(after.stdout)).toMatchObject({ error: { code: 'ENGINE_NO_GROUP' } });
  }, 90_000);
});

describe('group up interrupted', () => {
  it('SIGINT while the group comes up ends everything it started and exits 1 with ENGINE_INTERRUPTED', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sanspec-interrupt-'));
    try {
      const child = spawn(process.execPath, ['bin/sanspec.mjs', 'group', 'up', '--dir', dir, '--json'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      await expect.poll(() => existsSync(join(dir, 'supervisor.pid')), { timeout: 60_000, interval: 20 }).toBe(true);
      child.kill('SIGINT');
      expect(await exited).toBe(1);
      expect(Value.Check(ErrorBodySchema, json(stdout))).toBe(true);
      expect(json(stdout)).toMatchObject({ error: { code: 'ENGINE_INTERRUPTED' } });
      await nothingLeft(dir);
    } finally {
      await downGroup(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
