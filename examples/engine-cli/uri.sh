#!/usr/bin/env bash
# uri.sh DIR SERVER VDISK: the NBD URI of VDISK on SERVER's first front-end port (the port the
# topology's paths use), from the group's configuration and its port allocation.
set -euo pipefail
jq -r --arg s "$2" --arg v "$3" --slurpfile g "$1/group.json" '
  ([$g[0].servers[] | select(.name == $s) | .ports[] | select(.roles | index("frontEnd")) | .name][0]) as $fe
  | "nbd://127.0.0.1:\(.[$s].ports[$fe])/\($v)"' "$1/ports.json"
