import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { FieldProblemsSchema } from '../../../../contracts/cli-output.js';
import { ConfigError, defaultConfigInput, loadGroupConfig } from '../../../../engine/config/load-config.js';

const problemsOf = (input: unknown) => {
  try {
    loadGroupConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the configuration was accepted');
};

describe('the group configuration', () => {
  it('fills in every default: ports fe1/mr1/be1, write-back cache of 64 MiB, file backend, 64 MiB disks, timings', () => {
    const c = loadGroupConfig(defaultConfigInput());
    expect(c.servers.map((s) => s.name)).toEqual(['s1', 's2']);
    expect(c.servers[0]).toEqual({
      name: 's1',
      ports: [
        { name: 'fe1', roles: ['frontEnd'], targetOnly: false, unixSocket: false },
        { name: 'mr1', roles: ['mirror'], targetOnly: false, unixSocket: false },
        { name: 'be1', roles: ['backEnd'], targetOnly: false, unixSocket: false },
      ],
      autoRestartAttempts: 0,
      ups: false,
      cache: { mode: 'writeBack', sizeMiB: 64 },
      pool: { backend: 'file' },
    });
    expect(c.virtualDisks).toEqual([
      { name: 'm1', kind: 'mirrored', copies: ['s1', 's2'], sizeMiB: 64 },
      { name: 'v1', kind: 'single', server: 's1', sizeMiB: 64 },
      { name: 'v2', kind: 'single', server: 's2', sizeMiB: 64 },
    ]);
    expect(c).toMatchObject({
      name: 'default',
      hosts: ['h1', 'h2'],
      autoRestartWindowSeconds: 4 * 3600,
      mirror: { heartbeatMs: 100, deadAfterMs: 1000 },
      recoveryMiBPerSecond: 0,
      tuning: { destageDelayMs: 0, syncReads: true, syncWrites: true, threadPoolSize: 4 },
    });
    // A partial cache setting keeps the other default; --backend overrides every pool.
    const partial = loadGroupConfig(
      { ...defaultConfigInput(), servers: [{ name: 's1', cache: { mode: 'writeThrough' }, pool: { backend: 'file' } }, { name: 's2' }] },
      { backend: 'loop' },
    );
    expect(partial.servers.map((s) => [s.cache, s.pool.backend])).toEqual([
      [{ mode: 'writeThrough', sizeMiB: 64 }, 'loop'],
      [{ mode: 'writeBack', sizeMiB: 64 }, 'loop'],
    ]);
    // The input is not changed.
    expect(defaultConfigInput()).toEqual(defaultConfigInput());
  });

  it('names every bad field, structural and semantic, in one error with ENGINE_BAD_CONFIG', () => {
    const input = {
      servers: [
        { name: 's1', cache: { mode: 'fast', sizeMiB: 0 }, ports: [{ name: 'be1', roles: ['backEnd'], targetOnly: true }] },
        { name: 's1', autoRestartAttempts: -1, colour: 'red' },
      ],
      hosts: [],
      virtualDisks: [
        { name: 'v1', kind: 'single', server: 's3' },
        { name: 'm1', kind: 'mirrored', copies: ['s1', 's1'] },
        { name: 'x', kind: 'striped' },
      ],
      tuning: { threadPoolSize: 1000 },
    };
    let error: ConfigError | undefined;
    try {
      loadGroupConfig(input, { source: 'configuration c.json' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.code).toBe('ENGINE_BAD_CONFIG');
    expect(error!.message).toMatch(
      /^invalid configuration c\.json:\n {2}servers\[0\]\.cache\.mode: must be one of writeBack, writeThrough/,
    );
    expect(Value.Check(FieldProblemsSchema, error!.details)).toBe(true);
    expect(error!.problems).toEqual(
      expect.arrayContaining([
        { field: 'servers[0].cache.mode', problem: 'must be one of writeBack, writeThrough (got "fast")' },
        { field: 'servers[0].cache.sizeMiB', problem: 'must be an integer from 1 to 16384 (got 0)' },
        { field: 'servers[0].ports[0].targetOnly', problem: 'only a mirror port without the back-end role can be set to Target Only' },
        { field: 'servers[0].ports', problem: 'needs a port with the frontEnd role; hosts could not reach the server' },
        { field: 'servers[1].name', problem: 'name "s1" is used twice' },
        { field: 'servers[1].autoRestartAttempts', problem: 'must be an integer from 0 to 10 (got -1)' },
        { field: 'servers[1].colour', problem: expect.stringMatching(/^unknown field \(known: name, ports, /) },
        { field: 'hosts', problem: 'needs at least 1 item(s) (got 0)' },
        { field: 'virtualDisks[0].server', problem: 'no server named "s3"' },
        { field: 'virtualDisks[1].copies', problem: 'the two copies must be on different servers' },
        { field: 'virtualDisks[2].kind', problem: 'must be one of single, mirrored (got "striped")' },
        { field: 'tuning.threadPoolSize', problem: 'must be an integer from 1 to 128 (got 1000)' },
      ]),
    );
    expect(error!.problems).toHaveLength(12);
  });

  it('asks for what each kind of virtual disk needs', () => {
    expect(
      problemsOf({
        servers: [{ name: 's1' }, { name: 's2' }],
        hosts: ['h1'],
        virtualDisks: [
          { name: 'v1', kind: 'single' },
          { name: 'm1', kind: 'mirrored', copies: ['s1'] },
        ],
      }),
    ).toEqual([
      { field: 'virtualDisks[0].server', problem: 'a single virtual disk names the server that holds it' },
      { field: 'virtualDisks[1].copies', problem: 'a mirrored virtual disk has exactly two copies: ["preferred server", "other server"]' },
    ]);
    expect(problemsOf('servers: s1, s2')).toEqual([{ field: '(root)', problem: 'must be an object (got "servers: s1, s2")' }]);
  });
});
