#!/usr/bin/env bash
# close.sh DIR: ends every nbdkit of the group (also one whose pid file was never written) and
# removes the sockets. The disk files stay in DIR, which the caller removes.
source "$(dirname "$0")/lib.sh"

for pidfile in "$RUN"/*.pid; do
  [ -e "$pidfile" ] || continue
  pid=$(cat "$pidfile" 2>/dev/null || true)
  [ -z "$pid" ] || { kill -KILL "$pid" 2>/dev/null || true; gone "$pid" || true; }
  rm -f "$pidfile"
done
# An nbdkit started for this group but not yet recorded: found by its dir= argument (one grep
# over every process's NUL-separated command line).
for cmdline in $(grep -lzF "dir=$DIR/servers/" /proc/[0-9]*/cmdline 2>/dev/null || true); do
  pid=${cmdline#/proc/}
  pid=${pid%/cmdline}
  [ "$pid" != "$$" ] || continue
  kill -KILL "$pid" 2>/dev/null || true
  gone "$pid" || true
done
rm -f "$RUN"/*.sock
