#!/usr/bin/env bash
# Runs a command in a private network namespace whose loopback interface is shaped to RATE (tc tbf), so that a
# benchmark and the S3 server it starts on 127.0.0.1 talk over a link of that speed, as with an S3 endpoint on another
# machine, instead of over an unlimited loopback where both sides only compete for this machine's CPU. Nothing
# outside the namespace is affected (the machine is shared). Needs root and iproute2; the kernel here has tbf but not
# netem, so the link has a rate and no added latency.
#
#   bench/netns.sh [--rate 1gbit] -- fs-core/bench-read.sh -Dread.reps=3
#
# The command runs as root in the namespace, in the current directory, with no network but its own loopback: Maven
# must run offline (the bench scripts use -o).
set -euo pipefail
rate=1gbit
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate="$2"; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "netns.sh: unknown option $1 (expected --rate RATE, then -- and the command)" >&2; exit 2 ;;
  esac
done
if [ $# -eq 0 ]; then
  echo "netns.sh: no command given (usage: bench/netns.sh [--rate 1gbit] -- command args...)" >&2
  exit 2
fi
ns="pacsfs-bench-$$"
ip netns add "$ns"
trap 'ip netns del "$ns"' EXIT
ip netns exec "$ns" ip link set lo up
# burst: at least the loopback MTU (64 KiB); 1 MiB lets TCP fill the link without long stalls
ip netns exec "$ns" tc qdisc add dev lo root tbf rate "$rate" burst 1mb latency 50ms
echo "netns.sh: running in network namespace $ns, loopback shaped to $rate: $*" >&2
ip netns exec "$ns" "$@"
