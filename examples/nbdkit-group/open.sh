#!/usr/bin/env bash
# open.sh DIR TOPOLOGY: a fresh group in DIR for TOPOLOGY, every server powered on and serving.
# Single virtual disks only. If anything fails midway, the adapter runs close.sh, which ends every
# nbdkit started so far.
source "$(dirname "$0")/lib.sh"
topology=$2

mirrored=$(jq -r '[.virtualDisks[] | select(.kind != "single") | .name] | join(", ")' "$topology")
[ -z "$mirrored" ] || {
  jq -cn --arg m "$mirrored" '{error: {code: "SANSPEC_BAD_TOPOLOGY", message: ("the nbdkit group serves single virtual disks only; mirrored: " + $m)}}'
  exit 1
}
# Unix socket paths are limited to 107 bytes.
[ ${#RUN} -lt 90 ] || { echo "the directory $DIR is too long for Unix socket paths" >&2; exit 1; }

cp "$topology" "$DIR/topology.json"
mkdir -p "$RUN"
jq '[.servers[] | {key: .name, value: {power: "on", state: "running", resumeAs: "running", cleanShutdown: false,
      autoRestartsUsed: 0, autoRestartLimit: .autoRestartAttempts}}] | from_entries' "$topology" >"$STATE"
for s in $(servers); do
  mkdir -p "$DIR/servers/$s/disks"
  for v in $(jq -r --arg s "$s" '.virtualDisks[] | select(.server == $s) | .name' "$topology"); do
    truncate -s 16M "$DIR/servers/$s/disks/$v"
  done
done
for s in $(servers); do serve "$s"; done
