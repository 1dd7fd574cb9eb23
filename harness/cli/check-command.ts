import { readFileSync } from 'node:fs';
import { createGroupModel, type GroupModel } from '../../models/group.js';
import { namedTopologies, TopologyError } from '../../models/topology.js';
import type { Topology } from '../../models/types.js';
import { checkModel } from '../check/check-model.js';
import { formatReport } from '../check/format.js';
import { writeCheckHtml } from '../report/write-check-html.js';
import { UsageError, type CommandSpec } from './args.js';

/** A topology by name (`default`, `three-servers`, `ups`) or from a JSON file. */
export function loadTopology(nameOrFile: string): Topology {
  const named = namedTopologies[nameOrFile];
  if (named) return named();
  if (!nameOrFile.endsWith('.json')) {
    throw new UsageError(
      `unknown topology ${JSON.stringify(nameOrFile)}: use one of ${Object.keys(namedTopologies).join(', ')}, or a .json file`,
    );
  }
  let text: string;
  try {
    text = readFileSync(nameOrFile, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read topology file ${nameOrFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return JSON.parse(text) as Topology;
  } catch (error) {
    throw new UsageError(`topology file ${nameOrFile} is not valid JSON: ${(error as Error).message}`);
  }
}

export const checkCommand: CommandSpec = {
  name: 'check',
  summary:
    'Explores every reachable state of the server-group model and checks its safety properties in every state and transition, and that every state can be repaired. Exit code 1 on a violation.',
  usage: 'sanspec check [--topology NAME|FILE]... [--json] [--report DIR]',
  options: {
    topology: {
      type: 'string',
      multiple: true,
      value: 'NAME|FILE',
      description: `topology to check: ${Object.keys(namedTopologies).join(', ')}, or a JSON file (default: all named)`,
    },
    json: { type: 'boolean', description: 'print the reports as JSON' },
    report: {
      type: 'string',
      value: 'DIR',
      description: 'also write DIR/report.html: each violation drawn (trace and machines), self-contained',
    },
    help: { type: 'boolean', description: 'show this help' },
  },
  async run(values) {
    const names = (values.topology as string[] | undefined) ?? Object.keys(namedTopologies);
    const topologies = names.map(loadTopology);
    const progress = process.stderr.isTTY && !values.json;
    const reports = [];
    for (const topology of topologies) {
      let model: GroupModel;
      try {
        model = createGroupModel(topology);
      } catch (error) {
        if (error instanceof TopologyError) throw new UsageError(error.message);
        throw error;
      }
      const report = checkModel(model, {
        onProgress: progress ? (n) => process.stderr.write(`\r  exploring ${topology.name}: ${n} states`) : undefined,
      });
      if (progress) process.stderr.write('\r\x1b[K');
      reports.push(report);
      if (!values.json) process.stdout.write(`${formatReport(report)}\n\n`);
    }
    if (values.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
    if (typeof values.report === 'string') {
      const file = await writeCheckHtml(reports, values.report, { topologies });
      if (!values.json) process.stdout.write(`report written to ${file}\n`);
    }
    const violations = reports.reduce((n, r) => n + r.violations.length, 0);
    if (!values.json) process.stdout.write(violations === 0 ? 'no violations\n' : `${violations} violation(s)\n`);
    return violations === 0 ? 0 : 1;
  },
};
