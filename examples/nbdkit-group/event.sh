#!/usr/bin/env bash
# event.sh EVENT DIR [SERVER]: one of the model's events, accepted (exit 0) or refused with the
# catalogue's code (exit 1, the error shape on stdout), as the model's servers answer (SRV-1..12).
event=$1
shift
source "$(dirname "$0")/lib.sh"
s=${2:-}

if [ "$event" = siteCrash ]; then
  on=$(jq -r 'to_entries[] | select(.value.power == "on") | .key' "$STATE")
  [ -n "$on" ] || refuse SRV_POWERED_OFF "every server is already powered off"
  for x in $on; do kill_server "$x"; done
  for x in $on; do update "$x" '.power = "off" | .cleanShutdown = false
    | .resumeAs = (if .resumeAs == "running" and .autoRestartsUsed < .autoRestartLimit then "running" else "stopped" end)
    | .state = "stopped"'; done
  exit 0
fi

read -r power state < <(jq -r --arg s "$s" '.[$s] // {} | "\(.power) \(.state)"' "$STATE")
[ "$power" != null ] || refuse GROUP_UNKNOWN_NAME "no server named \"$s\" in this group"
if [ "$power" = off ] && [ "$event" != powerOn ] && [ "$event" != autoRestartWindowElapsed ]; then
  refuse SRV_POWERED_OFF "$s is powered off; power it on first"
fi

case $event in
  stop) # SRV-1, SRV-3: stop serving, keep (and sync) the files.
    [ "$state" = running ] || refuse SRV_ALREADY_STOPPED "$s is already stopped"
    unserve "$s"
    update "$s" '.state = "stopped" | .resumeAs = "stopped"' ;;
  start) # SRV-7
    [ "$state" != running ] || refuse SRV_ALREADY_RUNNING "$s is already running"
    serve "$s"
    update "$s" '.state = "running" | .resumeAs = "running"' ;;
  shutdown) # SRV-8: a clean stop first; the last state is kept for the next power-on.
    [ "$state" != running ] || unserve "$s"
    update "$s" '.power = "off" | .state = "stopped" | .cleanShutdown = true' ;;
  restart) # SRV-8, SRV-9: power-cycle; a running server comes back running, a stopped one stopped.
    if [ "$state" = running ]; then unserve "$s"; serve "$s"; fi ;;
  crash) # SRV-10, SRV-11: a power failure: SIGKILL; the next power-on comes up stopped unless an automatic restart is left.
    kill_server "$s"
    update "$s" '.power = "off" | .cleanShutdown = false
      | .resumeAs = (if .resumeAs == "running" and .autoRestartsUsed < .autoRestartLimit then "running" else "stopped" end)
      | .state = "stopped"' ;;
  powerOn) # SRV-9, SRV-10
    [ "$power" = off ] || refuse SRV_ALREADY_ON "$s is already powered on"
    if [ "$(field "$s" resumeAs)" = running ]; then
      serve "$s"
      update "$s" '.power = "on" | .state = "running" | .autoRestartsUsed += (if .cleanShutdown then 0 else 1 end) | .cleanShutdown = false'
    else
      update "$s" '.power = "on" | .state = "stopped" | .cleanShutdown = false'
    fi ;;
  autoRestartWindowElapsed) # SRV-10: automatic restart attempts are counted afresh.
    [ "$(field "$s" autoRestartsUsed)" -gt 0 ] || refuse SRV_NO_AUTO_RESTARTS "no automatic restart attempt of $s has been used"
    update "$s" '.autoRestartsUsed = 0' ;;
  *)
    echo "event.sh: unknown event $event" >&2
    exit 2 ;;
esac
