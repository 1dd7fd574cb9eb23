// Fault switches (engine/faults.ts) are off by default and reachable only through the test-only
// permission: a configuration naming one is refused with ENGINE_FAULTS_DISABLED unless
// SANSPEC_ALLOW_FAULTS=1 (or allowFaults) permits it.
import { afterEach, describe, expect, it } from 'vitest';
import { codes } from '../../../contracts/codes.js';
import { ConfigError, defaultConfigInput, loadGroupConfig } from '../../../engine/config/load-config.js';
import {
  activeFaults,
  FAULT_SWITCHES,
  FaultsDisabledError,
  fault,
  faultSwitchNames,
  faultsAllowed,
  setFaults,
} from '../../../engine/faults.js';

const withFaults = (faults: unknown, powerLoss?: boolean) => ({
  ...defaultConfigInput(),
  testing: { faults, ...(powerLoss === undefined ? {} : { powerLoss }) },
});

describe('fault switches', () => {
  afterEach(() => setFaults([]));

  it('the catalogue lists at least the twelve slips of issue 10, each with a description', () => {
    expect(faultSwitchNames.length).toBeGreaterThanOrEqual(12);
    for (const name of faultSwitchNames) expect(FAULT_SWITCHES[name].length).toBeGreaterThan(10);
    expect(codes.ENGINE_FAULTS_DISABLED.kind).toBe('error');
  });

  it('every switch is off by default: in a process, and in the default configuration', () => {
    expect(activeFaults()).toEqual([]);
    for (const name of faultSwitchNames) expect(fault(name)).toBe(false);
    const config = loadGroupConfig(defaultConfigInput(), { allowFaults: true });
    expect(config.testing).toEqual({ faults: [], powerLoss: false });
  });

  it('a configuration naming a switch is refused with ENGINE_FAULTS_DISABLED without the test-only permission', () => {
    const input = withFaults(['crashSelfStart']);
    const refusal = (() => {
      try {
        loadGroupConfig(input, { allowFaults: false });
      } catch (error) {
        return error;
      }
      return null;
    })();
    expect(refusal).toBeInstanceOf(FaultsDisabledError);
    expect((refusal as FaultsDisabledError).code).toBe('ENGINE_FAULTS_DISABLED');
    expect((refusal as Error).message).toContain('SANSPEC_ALLOW_FAULTS=1');
    expect(loadGroupConfig(input, { allowFaults: true }).testing.faults).toEqual(['crashSelfStart']);
  });

  it('the permission is SANSPEC_ALLOW_FAULTS=1 exactly', () => {
    expect(faultsAllowed({})).toBe(false);
    expect(faultsAllowed({ SANSPEC_ALLOW_FAULTS: 'true' })).toBe(false);
    expect(faultsAllowed({ SANSPEC_ALLOW_FAULTS: '1' })).toBe(true);
  });

  it('an unknown switch is a bad configuration naming the field; power-loss mode needs no permission', () => {
    expect(() => loadGroupConfig(withFaults(['noSuchSlip']), { allowFaults: true })).toThrow(ConfigError);
    try {
      loadGroupConfig(withFaults(['noSuchSlip']), { allowFaults: true });
    } catch (error) {
      expect((error as ConfigError).problems.map((p) => p.field).join(' ')).toContain('testing.faults');
    }
    expect(loadGroupConfig(withFaults([], true), { allowFaults: false }).testing).toEqual({ faults: [], powerLoss: true });
  });

  it('setFaults turns on exactly the switches named', () => {
    setFaults(['fuaAsPlainWrite']);
    expect(fault('fuaAsPlainWrite')).toBe(true);
    expect(faultSwitchNames.filter((n) => fault(n))).toEqual(['fuaAsPlainWrite']);
    setFaults([]);
    expect(fault('fuaAsPlainWrite')).toBe(false);
  });
});
