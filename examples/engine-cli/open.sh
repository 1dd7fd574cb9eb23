#!/usr/bin/env bash
# open.sh DIR TOPOLOGY: an engine group in DIR for the topology, with `sanspec group up`.
#
# A topology is close to the engine's group configuration (docs/engine.md): servers with ports,
# automatic restarts and UPS, hosts, single and mirrored disks with the preferred copy first. The
# engine's loader takes it as is, except `exclude` (which events the model explores, nothing a
# group has). Added: small disks (quick full recoveries), a destage delay that keeps a write-back
# write off the backend long enough for the runner's cache probe, and quick mirror failure
# detection.
set -euo pipefail
dir=$1
topology=$2
jq 'del(.exclude)
  | .virtualDisks |= map(. + {sizeMiB: 16})
  | .tuning = {destageDelayMs: 3000}
  | .mirror = {heartbeatMs: 50, deadAfterMs: 500}' "$topology" >"$dir/group-config.json"
exec "$(dirname "$0")/sanspec" group up --dir "$dir" --config "$dir/group-config.json" --json
