// The command manifest: how a vendor who writes no TypeScript connects a product to sanspec. A JSON
// file maps each of the model's events to a shell command template, and says how to open, close
// and query a system, how hosts reach its disks (NBD URIs), and where each copy's backend is.
// Written once, schema first: the types are derived from the schema, and the schema is the
// published JSON Schema (docs/adapters.md documents every field with worked examples;
// docs/schema/command-manifest.json is this schema as JSON).
//
// Templates are shell commands run with `sh -c` in the manifest's directory. `{name}`
// placeholders are replaced by shell-quoted values: {dir} (the system's own empty directory),
// {topology} (the topology as a JSON file), {server}, {vdisk}, {host}, {copy}, {mode}, {a}, {b}
// where the event or the request has them, and every variable `open` printed (a JSON object,
// nested members joined with "."). `{{` is a literal `{`; any other `{` is literal too.

import { type Static, Type } from '@sinclair/typebox';
import { groupEventTypes } from '../../models/topology-schema.js';

const Template = Type.String({
  minLength: 1,
  description: 'a shell command run with sh -c in the manifest directory; {name} placeholders are replaced by shell-quoted values',
});

/** A command: a template, or a template with its own timeout. */
const command = (description: string) =>
  Type.Union(
    [
      Template,
      Type.Object(
        {
          command: Template,
          timeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'kill the command (its whole process group) after this long' })),
        },
        { additionalProperties: false },
      ),
    ],
    { description },
  );
export const CommandSchema = command('a command template, or {"command", "timeoutMs"}');
export type CommandSpec = Static<typeof CommandSchema>;

/** A value computed per request: a template that is the value itself, or a command that prints it. */
const valueSource = (description: string) =>
  Type.Union(
    [
      Type.Object(
        { template: Type.String({ minLength: 1, description: 'the value itself, with placeholders (not run)' }) },
        { additionalProperties: false },
      ),
      Type.Object(
        {
          command: Template,
          timeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false, description: 'a command printing the value on stdout (surrounding white space is trimmed)' },
      ),
    ],
    { description },
  );
export const ValueSourceSchema = valueSource('{"template": "..."} or {"command": "..."}');
export type ValueSource = Static<typeof ValueSourceSchema>;

/** Events of opt-in topology features (models/types.ts `Topology.features`) that manifests do not map yet. */
const optInEventTypes = ['hostDisconnect', 'hostReconnect', 'poolFail', 'poolRestore'] as const;
type OptInEventType = (typeof optInEventTypes)[number];

/**
 * The events a manifest may map: the model's events except host I/O (`write`, `flush`), which goes
 * through devices, and the events of opt-in topology features.
 */
export const manifestEventTypes = groupEventTypes.filter(
  (t): t is ManifestEventType => t !== 'write' && t !== 'flush' && !(optInEventTypes as readonly string[]).includes(t),
);
export type ManifestEventType = Exclude<(typeof groupEventTypes)[number], 'write' | 'flush' | OptInEventType>;

/** Placeholders each event's template may use, besides {dir}, {topology} and the variables from `open`. */
export const eventPlaceholders: Record<ManifestEventType, readonly string[]> = {
  stop: ['server'],
  start: ['server'],
  shutdown: ['server'],
  restart: ['server'],
  crash: ['server'],
  siteCrash: [],
  powerOn: ['server'],
  setCache: ['server', 'mode'],
  onBattery: ['server'],
  mainsRestored: ['server'],
  batteryLow: ['server'],
  autoRestartWindowElapsed: ['server'],
  recoveryComplete: ['vdisk'],
  forceMirrorRecovery: ['vdisk', 'copy'],
  linkDown: ['a', 'b'],
  linkUp: ['a', 'b'],
};

const featureFlag = (description: string) => Type.Boolean({ description });

/** The whole manifest. */
export const CommandManifestSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    name: Type.String({ minLength: 1, description: 'the system under test, for reports (e.g. "nbdkit group")' }),
    description: Type.Optional(Type.String()),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'default timeout of every command (default 60000)' })),
    open: command(
      'creates a fresh system in {dir} for {topology}, every server powered on and running; may print a JSON object whose members become placeholders',
    ),
    close: command('ends everything the system started (processes, sockets, ports, devices); runs even when open failed midway'),
    status: command('prints the CF-2 status (contracts/status.ts, GroupStatusSchema) as JSON'),
    events: Type.Object(
      {
        stop: Type.Optional(CommandSchema),
        start: Type.Optional(CommandSchema),
        shutdown: Type.Optional(CommandSchema),
        restart: Type.Optional(CommandSchema),
        crash: Type.Optional(CommandSchema),
        siteCrash: Type.Optional(CommandSchema),
        powerOn: Type.Optional(CommandSchema),
        setCache: Type.Optional(CommandSchema),
        onBattery: Type.Optional(CommandSchema),
        mainsRestored: Type.Optional(CommandSchema),
        batteryLow: Type.Optional(CommandSchema),
        autoRestartWindowElapsed: Type.Optional(CommandSchema),
        recoveryComplete: Type.Optional(CommandSchema),
        forceMirrorRecovery: Type.Optional(CommandSchema),
        linkDown: Type.Optional(CommandSchema),
        linkUp: Type.Optional(CommandSchema),
      },
      {
        additionalProperties: false,
        description:
          'a command per supported event: exit 0 = accepted; non-zero with {"error":{"code","message"}} on stdout or stderr and a refusal code = refused',
      },
    ),
    capabilities: Type.Object(
      {
        hostIo: featureFlag('hosts reach disks over NBD (devices.nbdUri)'),
        mirroredDisks: featureFlag('topologies with mirrored virtual disks can run'),
        copyReader: featureFlag("each copy's backend can be read (copyBackend)"),
        cacheProbe: featureFlag('an acknowledged write in write-back is not yet on the backend; in write-through it is'),
        holdsRecovery: featureFlag('mirror recoveries wait for the recoveryComplete event'),
        reasons: Type.Optional(
          Type.Record(Type.String(), Type.String({ minLength: 1 }), {
            description: 'why each event without a command and each feature set to false is left out, by event type or feature name',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    devices: Type.Optional(
      Type.Object(
        {
          nbdUri: valueSource(
            'the NBD URI of the path from {host} to {vdisk} through {server}; a device uses the paths to every server holding the disk, preferred first',
          ),
        },
        { additionalProperties: false },
      ),
    ),
    copyBackend: Type.Optional(valueSource('the file or block device holding the copy of {vdisk} on {server}, beneath any cache')),
  },
  {
    $id: 'https://sanspec.dev/schema/command-manifest.json',
    title: 'sanspec command manifest',
    additionalProperties: false,
  },
);

/** A command manifest as written. */
export type CommandManifest = Static<typeof CommandManifestSchema>;
