// `sanspec diagrams`: the CLI declaration over harness/diagram's diagramsCommand.
import { Type } from '@sinclair/typebox';
import { defineCommand } from '../../contracts/cli.js';
import { capturedOutput } from './captured-output.js';

export const diagramsCommand = defineCommand({
  name: 'diagrams',
  summary: 'write Mermaid state diagrams generated from the model, rendered to SVG or PNG through Chromium',
  description:
    'Writes Mermaid stateDiagram-v2 sources generated from the XState machines: one per component (server, port, path, single ' +
    'disk, mirrored disk) and an overview of the group, with events, guards and SPEC IDs on the transitions; renders them ' +
    'with mermaid-cli through Debian’s chromium. Without Chromium the default still writes the sources and warns (exit 0); ' +
    'an explicit --format svg or png then exits 1 (SANSPEC_NO_BROWSER).',
  options: [
    { name: 'out', value: 'dir', description: 'directory to write into, created if missing (default ./diagrams)' },
    {
      name: 'format',
      value: 'format',
      choices: ['mmd', 'svg', 'png'],
      description: 'mmd: sources only; svg (default), png: sources and images',
    },
  ],
  examples: [
    { command: 'sanspec diagrams', description: 'sources and SVGs into ./diagrams' },
    { command: 'sanspec diagrams --out docs/diagrams', description: 'refresh this repository’s committed diagrams' },
    { command: 'sanspec diagrams --format mmd --out /tmp/d', description: 'sources only, no browser needed' },
  ],
  output: Type.Unknown({ description: '{ out, sources, images, warning? }' }),
  async action({ options }, io) {
    const { diagramsCommand: diagrams } = await import('../diagram/diagrams-command.js');
    const out = capturedOutput(io);
    const code = await diagrams.run(
      { out: options.out, format: options.format as 'mmd' | 'svg' | 'png' | undefined, json: io.json },
      { stdout: (t) => void out.stdout.write(t), stderr: (t) => void out.stderr.write(t) },
    );
    out.finish();
    return code;
  },
});
