import { describe, expect, it } from 'vitest';
import { scanMachineSource, specIds } from '../../../../harness/diagram/machine-source.js';

const source = `
import { setup } from 'xstate';
const text = '{ not config }';
export const m = setup({}).createMachine({
  id: 'demo',
  initial: 'a',
  on: {
    // XY-1: at the root.
    ping: { actions: refuse('CODE_X', "a message with { braces }, and a comma") },
  },
  states: {
    // XY-2 for the state.
    a: {
      on: {
        go: [
          // XY-3, XY-4: first
          { guard: ({ context }) => context.n > 1, target: 'b' },
          /* XY-5 second */
          { target: \`b\` },
        ],
        // XY-6
        stay: {},
      },
    },
    b: { always: { guard: 'ready', target: 'a' } },
  },
});
`;

describe('machine source scanner', () => {
  const { id, source: scanned } = scanMachineSource(source, 'demo.ts');

  it('finds the machine id of the config passed to createMachine', () => {
    expect(id).toBe('demo');
  });

  it('attaches each comment to the property or array element below it, by config path', () => {
    expect(Object.fromEntries(scanned.comments)).toEqual({
      'on.ping': 'XY-1: at the root.',
      'states.a': 'XY-2 for the state.',
      'states.a.on.go.0': 'XY-3, XY-4: first',
      'states.a.on.go.1': 'XY-5 second',
      'states.a.on.stay': 'XY-6',
    });
  });

  it('keeps the text of inline guards and notes which values are arrays', () => {
    expect(scanned.guards.get('states.a.on.go.0')).toBe('({ context }) => context.n > 1');
    expect(scanned.guards.has('states.b.always')).toBe(false);
    expect(scanned.arrays.has('states.a.on.go')).toBe(true);
    expect(scanned.arrays.has('states.b.always')).toBe(false);
  });

  it('reads SPEC IDs and ranges out of a comment, each once', () => {
    expect(specIds('SRV-9 (clean) or SRV-10 (auto); see SRV-9 and MIR-5..7')).toEqual(['SRV-9', 'SRV-10', 'MIR-5..7']);
    expect(specIds(undefined)).toEqual([]);
  });
});
