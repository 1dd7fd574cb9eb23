# Shared by the scripts of the nbdkit group example (sourced, not run).
#
# The "product": a group of servers, each an `nbdkit file dir=...` process serving every file of
# its disks directory as an export named after the file, on a Unix socket. The machines are
# simulated: DIR/state.json records each server's power, its serving state and what the next
# power-on restores, so that the scripts answer as the model's servers do (SRV-1..12).
#
#   DIR/topology.json            the topology (copied by open.sh)
#   DIR/state.json               {"s1": {"power", "state", "resumeAs", "cleanShutdown", "autoRestartsUsed", "autoRestartLimit"}, ...}
#   DIR/servers/S/disks/V        the backing file of single virtual disk V on server S (16 MiB, sparse)
#   DIR/run/S.sock, DIR/run/S.pid   the socket and pid file of S's nbdkit while it serves

set -euo pipefail

DIR=$(cd "$1" && pwd)
STATE=$DIR/state.json
RUN=$DIR/run

# Prints the error shape of contracts/error.ts and exits 1: a refusal when CODE is a refusal code.
refuse() {
  jq -cn --arg code "$1" --arg message "$2" '{error: {code: $code, message: $message}}'
  exit 1
}

# field SERVER KEY: one field of a server's state.
field() { jq -r --arg s "$1" --arg k "$2" '.[$s][$k]' "$STATE"; }

# update SERVER JQ-ASSIGNMENTS: changes a server's state (write, then rename: status never sees half a file).
update() {
  jq --arg s "$1" ".[\$s] |= ($2)" "$STATE" >"$STATE.tmp"
  mv "$STATE.tmp" "$STATE"
}

servers() { jq -r '.servers[].name' "$DIR/topology.json"; }

# serve S: starts S's nbdkit on its socket and waits until it has written its pid file.
serve() {
  rm -f "$RUN/$1.sock" "$RUN/$1.pid"
  nbdkit --pidfile "$RUN/$1.pid" --unix "$RUN/$1.sock" file dir="$DIR/servers/$1/disks" </dev/null >>"$RUN/$1.log" 2>&1
  for _ in $(seq 100); do
    [ -s "$RUN/$1.pid" ] && return 0
    sleep 0.05
  done
  echo "nbdkit of $1 wrote no pid file in 5 s; see $RUN/$1.log" >&2
  exit 2
}

# gone PID [SECONDS]: waits (5 s unless told) until PID has exited. A zombie has exited (and
# closed its socket) even if nobody has reaped it yet: init reaps an orphaned daemon, sometimes
# seconds later.
gone() {
  local _pid _comm state
  for _ in $(seq $((${2:-5} * 20))); do
    read -r _pid _comm state _ <"/proc/$1/stat" 2>/dev/null || return 0
    [ "$state" != Z ] || return 0
    sleep 0.05
  done
  return 1
}

# unserve S: ends S's nbdkit (SIGTERM; SIGKILL after 1 s, since nbdkit waits for connected
# clients to leave), then syncs its files (SRV-3). Nothing acknowledged is lost by the SIGKILL:
# the file plugin has no cache of its own, every write it acknowledged is in the file already.
unserve() {
  local pid
  pid=$(cat "$RUN/$1.pid" 2>/dev/null || true)
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    gone "$pid" 1 || { kill -KILL "$pid" 2>/dev/null || true; gone "$pid" || true; }
  fi
  rm -f "$RUN/$1.sock" "$RUN/$1.pid"
  sync --data "$DIR/servers/$1/disks/"* 2>/dev/null || true
}

# kill_server S: a power failure: SIGKILL, nothing synced.
kill_server() {
  local pid
  pid=$(cat "$RUN/$1.pid" 2>/dev/null || true)
  if [ -n "$pid" ]; then
    kill -KILL "$pid" 2>/dev/null || true
    gone "$pid" || true
  fi
  rm -f "$RUN/$1.sock" "$RUN/$1.pid"
}
