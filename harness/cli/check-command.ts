// `sanspec check`: explores every reachable state of the model and checks its properties.
import { readFileSync } from 'node:fs';
import { defineCommand, usageError } from '../../contracts/cli.js';
import { CheckOutputSchema } from '../../contracts/cli-output.js';
import type { CheckReport } from '../types.js';
import { assertTopology, namedTopologies, TopologyError } from '../../models/topology.js';
import type { Topology } from '../../models/types.js';

/**
 * A topology by name (`default`, `three-servers`, `ups`, ...) or from a JSON file. A name that is
 * neither is a usage error; a file that does not hold a valid topology is SANSPEC_BAD_TOPOLOGY,
 * naming every bad field.
 */
export function loadTopology(nameOrFile: string): Topology {
  const named = Object.hasOwn(namedTopologies, nameOrFile) ? namedTopologies[nameOrFile] : undefined;
  if (named) return named();
  if (!nameOrFile.endsWith('.json')) {
    throw usageError(
      `unknown topology ${JSON.stringify(nameOrFile)}: use one of ${Object.keys(namedTopologies).join(', ')}, or a .json file`,
    );
  }
  let text: string;
  try {
    text = readFileSync(nameOrFile, 'utf8');
  } catch (error) {
    throw usageError(`cannot read topology file ${nameOrFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TopologyError([{ field: '(root)', problem: `${nameOrFile} is not valid JSON: ${(error as Error).message}` }]);
  }
  return assertTopology(parsed);
}

export const checkCommand = defineCommand({
  name: 'check',
  summary: 'explore every reachable state of the model and check its safety properties (exit 1 on a violation)',
  description:
    'Explores every reachable state of the server-group model and checks its safety properties in every state and ' +
    'transition, and that every state can be repaired. Prints, per topology, the states, transitions and properties ' +
    'checked; for a violation, the shortest trace to it step by step. Exit code 1 on a violation.',
  options: [
    {
      name: 'topology',
      value: 'name-or-file',
      repeatable: true,
      description: `a topology to check: ${Object.keys(namedTopologies).join(', ')}, or a JSON file (default: every named one)`,
    },
    {
      name: 'report',
      value: 'dir',
      description: 'also write DIR/report.html: each violation drawn (trace as a sequence diagram, states on the machines), self-contained',
    },
  ],
  examples: [
    { command: 'sanspec check', description: 'every named topology' },
    { command: 'sanspec check --topology default --topology ups', description: 'two of them' },
    { command: 'sanspec check --topology my-group.json --json', description: 'a topology of your own; the reports as JSON' },
  ],
  output: CheckOutputSchema,
  async action({ options }, io) {
    // The model and the checker load when the command runs, not for `sanspec --help` or engine commands.
    const [{ checkTopologies }, { formatReport }] = await Promise.all([
      import('../check/check-in-workers.js'),
      import('../check/format.js'),
    ]);
    const names = options.topology.length > 0 ? options.topology : Object.keys(namedTopologies);
    const topologies = names.map((name) => loadTopology(name));
    // Topologies are checked at once, one per core; their reports are printed in the order asked.
    const explored = new Map<string, number>();
    const reports: CheckReport[] = await checkTopologies(topologies, {
      onProgress: (topology, n) => {
        explored.set(topology, n);
        io.progress(`  exploring ${[...explored].map(([t, k]) => `${t}: ${k} states`).join(', ')}`);
      },
      onReport: (report) => {
        explored.delete(report.topology);
        io.progress('');
        io.say(`${formatReport(report)}\n`);
      },
    });
    if (options.report !== undefined) {
      const { writeCheckHtml } = await import('../report/write-check-html.js');
      const file = await writeCheckHtml(reports, options.report, { topologies });
      io.note(`report written to ${file}`);
    }
    const violations = reports.reduce((n, r) => n + r.violations.length, 0);
    io.result(reports, violations === 0 ? 'no violations' : `${violations} violation(s)`);
    return violations === 0 ? 0 : 1;
  },
});
