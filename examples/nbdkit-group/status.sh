#!/usr/bin/env bash
# status.sh DIR: the group's status in the CF-2 shape (contracts/status.ts) for single virtual
# disks: servers, ports (PRT-1 modes; PRT-2/3 enabled flags), paths (PTH-1, ALUA per disk), disks.
# nbdkit's file plugin writes to the page cache and syncs at FLUSH: reported as write-back.
source "$(dirname "$0")/lib.sh"

jq -n --slurpfile t "$DIR/topology.json" --slurpfile st "$STATE" '
  $t[0] as $t | $st[0] as $s
  | def up($n): $s[$n].power == "on" and $s[$n].state == "running";
    def mode: if .targetOnly == true then "targetOnly"
      elif .roles == ["frontEnd"] then "targetOnly"
      elif .roles == ["backEnd"] then "initiator"
      else "initiatorTarget" end;
  {
    servers: [$t.servers[] | .name as $n | $s[$n] as $x | {
      name: $n, power: $x.power, state: $x.state,
      seenAs: (if up($n) then "Running" elif $x.power == "on" then "Stopped" elif $x.cleanShutdown then "Unavailable" else "Failed" end),
      ups: "mains",
      cache: {applied: "writeBack", pending: null, effective: "writeBack"},
      autoRestartsUsed: $x.autoRestartsUsed
    }],
    ports: [$t.servers[] | .name as $n | .ports[] | mode as $m | {
      server: $n, name: .name, roles: .roles, mode: $m,
      enabled: ($s[$n].power == "on" and (up($n) or $m != "targetOnly"))
    }],
    paths: [$t.hosts[] as $h | $t.servers[] | .name as $n | {
      host: $h, server: $n,
      port: ([.ports[] | select(.roles | index("frontEnd"))][0].name),
      online: up($n),
      alua: ([$t.virtualDisks[] | select(.server == $n) | {key: .name, value: (if up($n) then "activeOptimized" else "unavailable" end)}] | from_entries)
    }],
    virtualDisks: [$t.virtualDisks[] | .server as $n | {
      name: .name, kind: "single",
      status: (if up($n) then "online" else "offline" end),
      hostAccess: (if up($n) then "readWrite" else "disabled" end),
      copies: [{server: $n, preferred: true, dataStatus: "upToDate"}]
    }],
    mirrorLinks: []
  }'
