// `sanspec diagrams`: writes the Mermaid sources of the model's diagrams and renders them.
//
// Without Chromium (or mermaid-cli) the sources are still written, and the command says how to
// get images. The exit code tells whether what was asked for was done: 0 when the format was
// left at its default (images are a bonus; the sources are the product), 1 when `--format svg`
// or `png` was given explicitly and no image could be made (a CI job that asks for images must
// notice).

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { match } from 'ts-pattern';
import { errorBody } from '../../contracts/error.js';
import { generateDiagrams } from './generate-diagrams.js';
import { DEFAULT_CHROMIUM, RenderError, renderDiagrams, renderProblem } from './render-diagrams.js';

/** What the command writes: sources only, or sources and images. */
export type DiagramFormat = 'mmd' | 'svg' | 'png';

/** Options of `sanspec diagrams`, as the CLI passes them. */
export interface DiagramsOptions {
  /** Directory to write into, created if missing (default `diagrams`). */
  out?: string;
  /** `mmd`: the sources only; `svg` (default) or `png`: the sources and one image each. */
  format?: DiagramFormat;
  /** Print the result (or the error) as JSON. */
  json?: boolean;
  /** Chromium executable (default /usr/bin/chromium). */
  chromium?: string;
}

/** Where the command prints; the process's streams by default. */
export interface CommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** An option declared as data, for the CLI and its help. */
export interface CommandOption {
  type: 'string' | 'boolean';
  /** Placeholder of the value in help. */
  value?: string;
  /** Allowed values. */
  choices?: readonly string[];
  /** Default, as shown in help. */
  default?: string;
  description: string;
}

/** The result printed with `--json`. */
export interface DiagramsResult {
  out: string;
  /** Mermaid sources written. */
  sources: string[];
  /** Images written. */
  images: string[];
  /** Why no images were made, when they were not. */
  warning?: string;
}

/** The warning when no image can be made: why, and how to get images anyway. */
const noImages = (problem: string) =>
  `${problem}: only the Mermaid sources were written. For images, run \`sanspec diagrams\` again once it is there, or paste the .mmd ` +
  'files into any Mermaid renderer (GitHub and GitLab render them in Markdown).';

/** Runs the command; resolves to the exit code. */
async function run(options: DiagramsOptions, io: CommandIo = processIo): Promise<number> {
  const out = options.out ?? 'diagrams';
  const format = options.format ?? 'svg';
  const chromium = options.chromium ?? DEFAULT_CHROMIUM;
  const started = performance.now();
  const diagrams = generateDiagrams();
  await mkdir(out, { recursive: true });
  const sources: string[] = [];
  for (const d of diagrams) {
    const file = join(out, `${d.name}.mmd`);
    await writeFile(file, d.source);
    sources.push(file);
  }
  const result: DiagramsResult = { out, sources, images: [] };
  const say = (text: string) => {
    if (!options.json) io.stdout(`${text}\n`);
  };
  say(`wrote ${sources.length} Mermaid sources to ${out}/: ${diagrams.map((d) => `${d.name}.mmd`).join(', ')}`);
  if (format === 'mmd') return finish(result, options, io, 0);

  const problem = renderProblem(chromium);
  if (problem) {
    result.warning = noImages(problem);
    const demanded = options.format !== undefined;
    if (demanded) return fail('SANSPEC_NO_BROWSER', `--format ${format} cannot be rendered here: ${result.warning}`, result, options, io);
    if (!options.json) io.stderr(`sanspec: warning: ${result.warning}\n`);
    return finish(result, options, io, 0);
  }
  try {
    result.images = await renderDiagrams(diagrams, out, format, { chromium });
  } catch (error) {
    if (error instanceof RenderError) return fail('SANSPEC_RENDER_FAILED', error.message, result, options, io);
    throw error;
  }
  say(
    `rendered ${result.images.length} ${format.toUpperCase()} images with mermaid-cli in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return finish(result, options, io, 0);
}

function finish(result: DiagramsResult, options: DiagramsOptions, io: CommandIo, code: number): number {
  if (options.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  return code;
}

function fail(
  code: 'SANSPEC_NO_BROWSER' | 'SANSPEC_RENDER_FAILED',
  message: string,
  result: DiagramsResult,
  options: DiagramsOptions,
  io: CommandIo,
): number {
  if (options.json) io.stdout(`${JSON.stringify(errorBody(code, message, result), null, 2)}\n`);
  else io.stderr(`sanspec: ${code}: ${message}\n`);
  return 1;
}

/** Checks a `--format` value; null when it is not one of the formats. */
export function parseFormat(value: string): DiagramFormat | null {
  return match(value)
    .with('mmd', 'svg', 'png', (v) => v)
    .otherwise(() => null);
}

/** `sanspec diagrams`, declared as data with its action; the CLI wires it. */
export const diagramsCommand = {
  name: 'diagrams',
  summary:
    'Writes Mermaid state diagrams generated from the model: one per component machine (server, port, path, single disk, mirrored disk) and an overview of the group, and renders them to SVG or PNG with mermaid-cli in Chromium.',
  usage: 'sanspec diagrams [--out DIR] [--format mmd|svg|png] [--json]',
  examples: [
    { command: 'sanspec diagrams', what: 'sources and SVGs into ./diagrams' },
    { command: 'sanspec diagrams --out docs/diagrams', what: "refresh this repository's committed diagrams" },
    { command: 'sanspec diagrams --format mmd --out /tmp/d', what: 'sources only, no browser needed' },
    { command: 'sanspec diagrams --format png', what: 'sources and PNGs (fails with exit code 1 without Chromium)' },
  ],
  options: {
    out: { type: 'string', value: 'DIR', default: 'diagrams', description: 'directory to write into, created if missing' },
    format: {
      type: 'string',
      value: 'mmd|svg|png',
      choices: ['mmd', 'svg', 'png'],
      default: 'svg',
      description:
        'mmd: Mermaid sources only; svg, png: sources and images. Without Chromium the default writes the sources and warns (exit 0); an explicit svg or png exits 1',
    },
    json: { type: 'boolean', description: 'print the files written (or the error) as JSON' },
  } satisfies Record<string, CommandOption>,
  run,
};
